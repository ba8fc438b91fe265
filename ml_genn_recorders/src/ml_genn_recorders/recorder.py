"""What every recorder shares: key, example filter, storage, per-batch bookkeeping."""
from __future__ import annotations

import warnings
from typing import Any, Dict, Optional

import numpy as np

from ml_genn.callbacks import Callback
from ml_genn.utils.filter import (EmptyFilterError, ExampleFilter, ExampleFilterType,
                                  FilterSelectsNothingWarning, NeuronFilter)

from .engine_access import require_loaded
from .memory import warn_if_large
from .sinks import PathType, check_folder


#: Slot count -> ``np.arange(count)``, read-only: the slots of a batch whose examples are all
#: recorded, one array shared by every recorder and run, so that a decoder that saw it
#: before need not check it again
_ALL_SLOTS: Dict[int, np.ndarray] = {}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def require_selected_neurons(owner: str, name: str, given: Any,
                             neuron_filter: NeuronFilter) -> None:
    """Raise :class:`EmptyFilterError` if a recorder's neuron filter selects no neuron.

    Parameters
    ----------
    owner
        The recorder, as its ``describe()`` names it.
    name
        The argument, e.g. ``"neuron_filter"``.
    given
        What the user passed (shown in the error).
    neuron_filter
        The parsed filter.
    """
    if neuron_filter.num_selected == 0:
        raise EmptyFilterError(
            f"{owner}: {name} {_short(given)} selects no neurons of population shape "
            f"{neuron_filter.shape}, so nothing would ever be recorded; pass None to record "
            f"every neuron")


class Recorder(Callback):
    """Base class of the recorders.

    Subclasses describe themselves (:meth:`describe`), check the compiled network in
    :meth:`prepare`, estimate their memory (:meth:`estimate_memory`) and produce their data
    (:meth:`result`). Everything a run changes is created in ``set_params``: mlGeNN shallow-
    copies callbacks per run, so state made in ``__init__`` would be shared between runs.

    Parameters
    ----------
    key
        Key of the recording in ``cb_data`` (any hashable; the callback's index if ``None``).
    example_filter
        Which examples to record (see :class:`ml_genn.utils.filter.ExampleFilter`).
    to_disk
        Folder to stream the recording into as ``.npy`` files instead of keeping it in memory;
        ``cb_data`` then holds read-only memory-mapped arrays.
    """

    def __init__(self, key: Any = None, example_filter: ExampleFilterType = None,
                 to_disk: Optional[PathType] = None):
        self.key = key
        self._example_filter = ExampleFilter(example_filter)
        if self._example_filter.selects_nothing:
            raise EmptyFilterError(
                f"{self.describe()}: example_filter {_short(example_filter)} selects no "
                f"examples, so nothing would ever be recorded; pass None to record every "
                f"example, or the indices (or a boolean mask) of those to record")
        self.to_disk = check_folder(to_disk, self.describe())
        self._ready = False

    # ------------------------------------------------------------------ subclass API
    def describe(self) -> str:
        """Short description used in messages, e.g. ``"SpikeRecorder(Population 'hidden')"``."""
        return type(self).__name__

    def prepare(self, compiled_network: Any) -> None:
        """Resolve and check engine groups; create the sink (called from ``set_params``)."""
        raise NotImplementedError

    def estimate_memory(self, num_examples: int, num_timesteps: int) -> int:
        """Estimated bytes this recorder holds after recording ``num_examples`` examples.

        Parameters
        ----------
        num_examples
            Examples recorded (after the example filter).
        num_timesteps
            Timesteps per example.
        """
        raise NotImplementedError

    def result(self) -> Any:
        """The data returned in ``cb_data`` (after the run)."""
        raise NotImplementedError

    def empty_result(self) -> Any:
        """The data of a recorder that never ran."""
        return []

    # ------------------------------------------------------------------ callback API
    def set_params(self, compiled_network: Any = None, num_batches: Optional[int] = None,
                   num_epochs: Optional[int] = None, num_examples: Optional[int] = None,
                   **kwargs: Any) -> None:
        """Bind to the run's compiled network, check it, and warn if the recording is large.

        Parameters
        ----------
        compiled_network
            The (loaded) compiled network being run.
        num_batches
            Batches per epoch; used for the memory estimate.
        num_epochs
            Epochs of the run (``None``: one).
        num_examples
            Examples in the dataset, when the compiled network passes it: slots of a last,
            partial batch beyond the dataset are then not recorded.
        **kwargs
            Other run parameters (ignored).
        """
        genn_model = require_loaded(compiled_network, self.describe())
        self._compiled_network = compiled_network
        self._genn_model = genn_model
        self._batch_size = int(genn_model.batch_size)
        self._num_examples = num_examples
        # Until on_batch_begin says otherwise, record the slots of batch 0
        self._slots = self.slots_for_batch(0)
        # Examples the run records, where its length is known
        self._run_examples = None if num_batches is None \
            else self.count_examples(num_batches) * (num_epochs or 1)
        self.prepare(compiled_network)
        self._ready = True

        if self._run_examples == 0 and not self._example_filter.records_all:
            # A filter written for a larger dataset: a warning, as the same recorder may also
            # serve runs on datasets that its indices do reach
            size = num_batches * self._batch_size if num_examples is None else num_examples
            warnings.warn(f"{self.describe()}: example_filter {self._example_filter!r} selects "
                          f"none of this run's {size} examples, so it records nothing",
                          FilterSelectsNothingWarning, stacklevel=4)

        timesteps = getattr(compiled_network, "example_timesteps", None)
        if self._run_examples is not None and timesteps is not None:
            estimate = self.estimate_memory(self._run_examples, int(timesteps))
            warn_if_large(self.describe(), estimate, self.to_disk is not None, stacklevel=4)

    def slots_for_batch(self, batch: int) -> np.ndarray:
        """Ascending batch slots of ``batch`` whose examples are recorded.

        Parameters
        ----------
        batch
            Index of the batch in the epoch.
        """
        if self._example_filter.records_all:
            # The common case, every batch: one shared read-only array per slot count, which
            # also lets the decoder skip re-checking slots it has seen
            count = self._batch_size
            if self._num_examples is not None:
                count = max(0, min(count, self._num_examples - batch * self._batch_size))
            slots = _ALL_SLOTS.get(count)
            if slots is None:
                slots = _ALL_SLOTS[count] = np.arange(count, dtype=np.int64)
                slots.flags.writeable = False
            return slots
        slots = self._example_filter.get_batch_indices(batch, self._batch_size)
        if self._num_examples is not None:
            slots = slots[slots < self._num_examples - batch * self._batch_size]
        return slots

    def count_examples(self, num_batches: int) -> int:
        """Examples recorded in an epoch of ``num_batches`` batches.

        Parameters
        ----------
        num_batches
            Batches per epoch.
        """
        total = num_batches * self._batch_size
        if self._num_examples is not None:
            total = min(total, int(self._num_examples))
        if total <= 0:
            return 0
        if self._example_filter.records_all:
            return total
        # The whole epoch viewed as a single batch gives the filter's mask over the dataset
        return int(np.count_nonzero(self._example_filter.get_batch_mask(0, total)))

    def get_data(self):
        """``(key, data)`` for ``cb_data``."""
        return self.key, (self.result() if self._ready else self.empty_result())
