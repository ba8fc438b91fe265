"""Plots straight from ``cb_data``: spike rasters and variable traces.

Needs matplotlib (``pip install ml-genn-recorders[plot]``). Figures are drawn on matplotlib's
Agg canvas without touching ``pyplot``, so plotting works headless and leaves a user's
interactive backend alone; pass ``ax=`` to draw into an existing figure instead.

Example
-------
>>> metrics, cb_data = compiled_net.evaluate(..., callbacks=[SpikeRecorder(hidden, key="spikes"),
...                                                          VarRecorder(output, "v", key="v")])
>>> plot_spike_raster(cb_data, "spikes", example=5, path="raster.png")
>>> plot_var_traces(cb_data, "v", example=5, path="v.png")
"""
from __future__ import annotations

import os
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np
from ml_genn.errors import InvalidTypeError, InvalidValueError


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("ml_genn_recorders.plot needs matplotlib; install it with "
                          "'pip install ml-genn-recorders[plot]' (or 'pip install matplotlib')"
                          ) from None
    return Figure, FigureCanvasAgg


def _new_axes(ax: Any, figsize: Sequence[float]):
    if ax is not None:
        return ax
    Figure, FigureCanvasAgg = _matplotlib()
    figure = Figure(figsize=tuple(figsize))
    FigureCanvasAgg(figure)  # the Agg canvas: savefig needs no GUI backend
    return figure.add_subplot(1, 1, 1)


def _entry(cb_data: Mapping[Any, Any], key: Any, what: str) -> Any:
    if not isinstance(cb_data, Mapping):
        raise InvalidTypeError(
            f"{what} needs the cb_data dict returned by evaluate/train/predict, got "
            f"{type(cb_data).__name__}")
    if key not in cb_data:
        keys = ", ".join(repr(k) for k in cb_data) or "none"
        raise KeyError(f"{what}: cb_data has no recording with key {key!r} (keys: {keys})")
    return cb_data[key]


def _example(records: Sequence[Any], example: int, key: Any, what: str) -> Any:
    if isinstance(example, bool) or not isinstance(example, (int, np.integer)):
        raise InvalidTypeError(f"{what}: example must be an int, got {type(example).__name__}")
    if not -len(records) <= example < len(records):
        raise IndexError(f"{what}: recording {key!r} holds {len(records)} recorded examples, "
                         f"so example {example} does not exist (examples are counted among "
                         f"the recorded ones, after the example filter)")
    return records[example]


def _finish(ax: Any, path: Optional[Union[str, "os.PathLike[str]"]], dpi: int) -> Any:
    if path is not None:
        ax.figure.savefig(os.fspath(path), dpi=dpi)
    return ax


def plot_spike_raster(cb_data: Mapping[Any, Any], key: Any, example: int = 0, ax: Any = None,
                      path: Optional[Union[str, "os.PathLike[str]"]] = None,
                      title: Optional[str] = None, figsize: Sequence[float] = (6.0, 4.0),
                      dpi: int = 100, **scatter_kwargs: Any) -> Any:
    """Raster plot (time against neuron id) of one example recorded by a ``SpikeRecorder``.

    Parameters
    ----------
    cb_data
        The dict returned by ``evaluate``/``train``/``predict``.
    key
        Key of the ``SpikeRecorder`` (recording spike times, not counts).
    example
        Index among the recorded examples.
    ax
        Matplotlib axes to draw on; a new Agg figure when ``None``.
    path
        If given, the figure is saved there (e.g. ``"raster.png"``).
    title
        Axes title (default: the key and example).
    figsize
        Size of a new figure, in inches.
    dpi
        Resolution of the saved image.
    **scatter_kwargs
        Passed to ``ax.scatter`` (default marker ``"|"``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    what = "plot_spike_raster"
    data = _entry(cb_data, key, what)
    if not (isinstance(data, tuple) and len(data) == 2):
        raise InvalidTypeError(
            f"{what}: recording {key!r} is not spike times and ids (a SpikeRecorder "
            f"with record_counts=False gives those), got {type(data).__name__}")
    times = np.asarray(_example(data[0], example, key, what))
    ids = np.asarray(_example(data[1], example, key, what))
    ax = _new_axes(ax, figsize)
    scatter_kwargs.setdefault("marker", "|")
    scatter_kwargs.setdefault("s", 20)
    ax.scatter(times, ids, **scatter_kwargs)
    ax.set_xlabel("Time [ms]")
    ax.set_ylabel("Neuron id")
    ax.set_title(title if title is not None else f"{key} (example {example})")
    return _finish(ax, path, dpi)


def plot_var_traces(cb_data: Mapping[Any, Any], key: Any, example: int = 0,
                    neurons: Optional[Sequence[int]] = None, dt: float = 1.0, ax: Any = None,
                    path: Optional[Union[str, "os.PathLike[str]"]] = None,
                    title: Optional[str] = None, ylabel: Optional[str] = None,
                    figsize: Sequence[float] = (6.0, 4.0), dpi: int = 100,
                    **plot_kwargs: Any) -> Any:
    """Traces over time of one example recorded by a ``VarRecorder``.

    Parameters
    ----------
    cb_data
        The dict returned by ``evaluate``/``train``/``predict``.
    key
        Key of the ``VarRecorder``.
    example
        Index among the recorded examples.
    neurons
        Columns of the recording to draw (positions among the recorded neurons); all when
        ``None``.
    dt
        Timestep [ms], to label the time axis in ms.
    ax
        Matplotlib axes to draw on; a new Agg figure when ``None``.
    path
        If given, the figure is saved there (e.g. ``"v.png"``).
    title, ylabel
        Axes title (default: the key and example) and y label (default: the key).
    figsize
        Size of a new figure, in inches.
    dpi
        Resolution of the saved image.
    **plot_kwargs
        Passed to ``ax.plot``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    what = "plot_var_traces"
    data = _entry(cb_data, key, what)
    if isinstance(data, tuple) or not isinstance(data, Sequence):
        raise InvalidTypeError(f"{what}: recording {key!r} is not a list of per-example variable "
                               f"traces (a VarRecorder gives those), got {type(data).__name__}")
    trace = np.asarray(_example(data, example, key, what))
    if trace.ndim != 2:
        raise InvalidValueError(f"{what}: recording {key!r} example {example} has shape "
                                f"{trace.shape}; expected (timesteps, neurons) from a VarRecorder")
    if neurons is not None:
        columns = np.asarray(neurons, dtype=np.int64).reshape(-1)
        if columns.size and (columns.min() < -trace.shape[1] or columns.max() >= trace.shape[1]):
            raise IndexError(f"{what}: neurons {columns.tolist()} out of range; recording "
                             f"{key!r} holds {trace.shape[1]} recorded neurons")
        trace = trace[:, columns]
    ax = _new_axes(ax, figsize)
    ax.plot(np.arange(trace.shape[0]) * dt, trace, **plot_kwargs)
    ax.set_xlabel("Time [ms]")
    ax.set_ylabel(ylabel if ylabel is not None else str(key))
    ax.set_title(title if title is not None else f"{key} (example {example})")
    return _finish(ax, path, dpi)


__all__ = ["plot_spike_raster", "plot_var_traces"]
