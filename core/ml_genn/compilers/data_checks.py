"""Checks of the data given to evaluate/predict/train, run before anything is simulated."""
from __future__ import annotations

from collections import abc
from typing import Any, Dict, Iterable, List, Optional

import numpy as np

from ..neurons import Input
from ..utils.network import get_underlying_pop
from ..errors import InvalidKeyError, InvalidTypeError, InvalidValueError


def _pop_name(key: Any) -> str:
    return getattr(key, "name", repr(key))


def _describe_key(key: Any) -> str:
    """How an error names a data dict's key: populations and layers by kind and name."""
    name = getattr(key, "name", None)
    if isinstance(name, str):
        return f"{type(key).__name__} '{name}'"
    if isinstance(key, str):
        return f"{key!r} (a string; key the data by the Population or Layer object itself)"
    return f"{type(key).__name__} {key!r:.60}"


def resolve_keys(data: Any, allowed: Iterable[Any], what: str, role: str,
                 require_all: bool = True) -> Dict[Any, Any]:
    """Map a data dict's keys (populations or layers) onto ``allowed`` populations.

    Parameters
    ----------
    data
        Dict keyed by population/layer.
    allowed
        The populations that may (and must) be keys.
    what
        Argument name used in errors (``"x"``, ``"y"``).
    role
        What the allowed populations are (``"input"``, ``"output"``).
    require_all
        Whether every allowed population must be a key (otherwise at least one).
    """
    allowed = list(allowed)
    if not isinstance(data, abc.Mapping):
        raise InvalidTypeError(
            f"{what} must be a dict mapping {role} populations to data, got "
            f"{type(data).__name__}; e.g. {{{', '.join(p.name for p in allowed)}: ...}}")
    out = {}
    for key, value in data.items():
        try:
            pop = get_underlying_pop(key)
        except TypeError:
            pop = None
        if pop not in allowed:
            raise InvalidKeyError(
                f"{what} has key {_describe_key(key)}, which is not an {role} population "
                f"of this network; {role} populations: {[p.name for p in allowed]}")
        out[pop] = value
    missing = [p.name for p in allowed if p not in out]
    if missing and (require_all or not out):
        raise InvalidKeyError(f"{what} has no data for {role} population(s) {missing}")
    return out


def check_inputs(x: Any, inputs: List[Any], what: str = "x") -> Dict[Any, Any]:
    """Check input data of every input population; returns population -> checked data."""
    x = resolve_keys(x, inputs, what, "input")
    return {pop: pop.neuron.check_input(data, pop.shape, f"{what}[{pop.name!r}] for Population "
                                        f"'{pop.name}'") for pop, data in x.items()}


def check_labels(y: Any, pop: Any, metric_or_loss: Any, what: str) -> np.ndarray:
    """Check labels/targets of one output population against what its metric or loss needs.

    Metrics and losses declaring ``sparse_labels`` need integer class labels in
    ``[0, num_neurons)``; others need finite targets of the population's shape.
    """
    owner = f"{what}[{pop.name!r}]"
    try:
        y = np.asarray(y)
    except ValueError as exc:
        raise InvalidValueError(f"{owner} must be a rectangular array ({exc})") from None
    if y.dtype == object or not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise InvalidTypeError(f"{owner} must be numeric, got dtype {y.dtype}")
    if np.issubdtype(y.dtype, np.complexfloating):
        # A cast to real would silently drop the imaginary part
        raise InvalidTypeError(f"{owner} must hold real numbers, got complex dtype {y.dtype}")
    kind = type(metric_or_loss).__name__
    if getattr(metric_or_loss, "sparse_labels", False):
        if y.ndim != 1:
            raise InvalidValueError(
                f"{owner} for {kind} must be one integer class label per example "
                f"(shape (examples,)), got shape {y.shape}")
        if not np.issubdtype(y.dtype, np.integer):
            if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
                raise InvalidTypeError(
                    f"{owner} for {kind} must hold integer class labels, got dtype "
                    f"{y.dtype} with non-integer values")
        n = pop.num_neurons
        # Range first, in the labels' own type: a huge float or uint64 label would wrap
        # round to a different number when cast to int64
        if y.size and (y.min() < 0 or y.max() >= n):
            bad = y[(y < 0) | (y >= n)][0]
            if np.issubdtype(y.dtype, np.integer) or abs(float(bad)) < 2 ** 53:
                shown = int(bad)
            else:
                shown = float(bad)
            raise InvalidValueError(f"{owner} has label {shown}, out of range for Population "
                                    f"'{pop.name}' with {n} neurons (labels 0 to {n - 1})")
        return y.astype(np.int64)
    size = pop.num_neurons
    if y.ndim < 1 or (y.shape[1:] != tuple(pop.shape) and y.shape[1:] != (size,)):
        raise InvalidValueError(
            f"{owner} for {kind} must have shape (examples,) + {tuple(pop.shape)}, "
            f"got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise InvalidValueError(f"{owner} for {kind} contains NaN or infinite targets")
    return y.reshape((y.shape[0],) + tuple(pop.shape)).astype(np.float64)


def check_timestep_targets(y: Any, pop: Any, example_timesteps: int, owner: str) -> np.ndarray:
    """Check regression targets given per timestep (mlGeNN's ``MeanSquareError`` on the ``var``
    readout): finite values of shape ``(examples, example_timesteps) + pop.shape`` (or with
    the population flattened).

    Parameters
    ----------
    y
        The targets of output population ``pop``.
    pop
        The output population.
    example_timesteps
        Timesteps of one example.
    owner
        How error messages name the targets, e.g. ``"y['output']"``.

    Returns
    -------
    The targets as a float array.
    """
    try:
        y = np.asarray(y)
    except ValueError as exc:
        raise InvalidValueError(f"{owner} must be a rectangular array ({exc})") from None
    if y.dtype == object or np.issubdtype(y.dtype, np.complexfloating) or not (
            np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise InvalidTypeError(f"{owner} must hold real numbers, got dtype {y.dtype}")
    y = y.astype(float)
    expected = (example_timesteps,) + tuple(pop.shape)
    if y.ndim < 2 or (y.shape[1:] != expected
                      and y.shape[1:] != (example_timesteps, pop.num_neurons)):
        raise InvalidValueError(
            f"{owner} for MeanSquareError on the var readout must have shape (examples, "
            f"{example_timesteps}) + {tuple(pop.shape)} (a target per timestep), got shape "
            f"{y.shape}")
    if not np.all(np.isfinite(y)):
        raise InvalidValueError(f"{owner} holds NaN or infinite targets")
    return y


def dataset_size(x: Dict[Any, Any], y: Optional[Dict[Any, Any]] = None) -> int:
    """The common number of examples of every array; raises naming mismatched ones."""
    sizes = {f"x[{p.name!r}]": len(v) for p, v in x.items()}
    if y:
        sizes.update({f"y[{p.name!r}]": len(v) for p, v in y.items()})
    if len(set(sizes.values())) > 1:
        raise InvalidValueError(
            f"Every input and label array needs the same number of examples, got "
            f"{', '.join(f'{k}: {v}' for k, v in sizes.items())}")
    if not sizes or next(iter(sizes.values())) == 0:
        raise InvalidValueError("No examples to run: the data are empty")
    return next(iter(sizes.values()))


def get_input_populations(network: Any) -> List[Any]:
    """Populations of ``network`` whose neurons are fed data."""
    return [p for p in network.populations if isinstance(p.neuron, Input)]


def get_output_populations(network: Any) -> List[Any]:
    """Populations of ``network`` whose neurons have a readout."""
    return [p for p in network.populations if p.neuron.readout is not None]
