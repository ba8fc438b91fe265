"""SpikeRecorder: spike times and ids (or counts) of a population, per example."""
from __future__ import annotations

import sys
import weakref
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from ml_genn.utils.filter import ExampleFilterType, NeuronFilterType, get_neuron_filter
from ml_genn.utils.network import get_underlying_pop

from .engine_access import (neuron_group, packed_recording_buffer, recording_data_lists,
                            recording_enabled, timestep_range)
from .memory import ASSUMED_SPIKE_PROBABILITY, BYTES_PER_SPIKE
from .packed_spikes import find_spikes, from_recording_lists, gather_words, spike_counts
from .recorder import Recorder, require_selected_neurons
from .sinks import DenseSink, PathType, RaggedSink
from .spike_segments import MAX_SEGMENT_ENTRIES, SEGMENT_HEADROOM, SpikeSegments
from ml_genn.errors import InvalidTypeError, InvalidValueError

#: Entries of a streamed recording's first segment at most (later ones are sized from the
#: spikes seen): 4 MiB for times and ids, so that a quiet run holds little memory and a short
#: one usually needs no second segment (a batch that does not fit costs one decode more)
FIRST_SEGMENT_MAX_ENTRIES = 1 << 18

#: Spikes per recorded example and timestep that earlier runs of a population recorded, per
#: runtime group and (kind, neuron filter): a script that evaluates every epoch records the
#: same population run after run, and sizing the first segment from what it saw spares the
#: later runs a second segment and a batch decoded twice
_OBSERVED_RATES: "weakref.WeakKeyDictionary[Any, Dict[Any, float]]" = weakref.WeakKeyDictionary()

SpikeData = Union[Tuple[List[np.ndarray], List[np.ndarray]], List[np.ndarray]]


class _SharedDecoding:
    """The SpikeRecorders of one run whose spikes the engine appends to their memory.

    The first of them decodes each batch for all, in one native call and one parallel
    region (the backend's ``RecordingStreams``); the others keep no hooks of their own. Per
    recorder and batch that saves two hook calls, a native call and a wake-up of the
    engine's threads. The group lives in the run's shared ``data`` dict, so recorders of
    different runs never mix.
    """

    def __init__(self, genn_model: Any):
        self.genn_model = genn_model
        self.members: List["SpikeRecorder"] = []
        self.streams: Any = None    # built on the first batch, once every member has joined
        # Whether every member records every example: their slots then change only with the
        # number of examples in a batch (a short last one)
        self.all_examples = False
        # Batches of an epoch before the short one, if any; while every member's slots are
        # all of a batch's (slots_full), these need no look at the slots
        self.full_batches = 0
        self.slots_full = False
        self.closed = False   # set once a member hands over its result: the run is over

    def start(self) -> Any:
        """The members' ``RecordingStreams``, built once every member has joined."""
        first = self.members[0]
        self.streams = first._decoder.streams([member._decoder for member in self.members])
        self.all_examples = all(member._example_filter.records_all for member in self.members)
        if self.all_examples:
            examples, batch_size = first._num_examples, first._batch_size
            self.full_batches = sys.maxsize if examples is None else examples // batch_size
        self._note_slots()
        return self.streams

    def set_slots(self, batch: int) -> None:
        """Give each member's decoder the slots it records of ``batch``."""
        if self.slots_full and batch < self.full_batches:
            return   # every member records all of this full batch, as it did the last one
        for recorder in self.members:
            slots = recorder.slots_for_batch(batch)
            if slots is not recorder._slots:
                recorder._slots = slots
                recorder._decoder.set_slots(slots)
        self._note_slots()

    def _note_slots(self) -> None:
        self.slots_full = self.all_examples and all(
            len(member._slots) == member._batch_size for member in self.members)


# Key of the run's shared decoding in the callback list's shared ``data`` dict
_SHARED_DECODING_KEY = object()


class SpikeRecorder(Recorder):
    """Record the spikes (or spike-like events) of a population.

    The population must be created with ``record_spikes=True`` (``record_spike_events=True``
    for events) so that the engine records them. Spikes are read from the engine's bit-packed
    buffer once per batch, and only the recorded examples and neurons are unpacked; the
    recorder needs no per-timestep callback, so examples still run in one native call. On the
    cpu backend the rows are decoded in native code.

    Parameters
    ----------
    pop
        Population (or Layer) to record.
    key
        Key of the recording in ``cb_data``.
    example_filter
        Which examples to record: an int, a sequence of ints or a boolean mask.
    neuron_filter
        Which neurons to record: an int, a sequence of ints, a slice, a boolean mask of the
        population's shape, or per-dimension indices such as ``np.index_exp[2:5, 0]``.
    record_counts
        Record the number of spikes of each recorded neuron instead of spike times.
    record_spike_events
        Record spike-like events instead of spikes.
    to_disk
        Folder to stream the recording into (``.npy`` files) instead of memory.

    Notes
    -----
    ``cb_data[key]`` is ``(times, ids)``: ``times[i]`` and ``ids[i]`` are the spike times [ms]
    and flat neuron ids of the ``i``-th recorded example, ordered by time then id. With
    ``record_counts=True`` it is a list with, per recorded example, an ``int64`` array of
    spike counts of the recorded neurons (in ascending flat id order).
    """

    def __init__(self, pop: Any, key: Any = None, example_filter: ExampleFilterType = None,
                 neuron_filter: NeuronFilterType = None, record_counts: bool = False,
                 record_spike_events: bool = False, to_disk: Optional[PathType] = None):
        self._pop = get_underlying_pop(pop)
        self._kind = "spike_events" if record_spike_events else "spikes"
        for name, value in (("record_counts", record_counts),
                            ("record_spike_events", record_spike_events)):
            if not isinstance(value, (bool, np.bool_)):
                raise InvalidTypeError(f"{self.describe()}: {name} must be True or False, got "
                                       f"{type(value).__name__}: {value!r}")
        self.record_counts = bool(record_counts)
        self._check_population_flag()
        if self._pop.shape is None:
            raise InvalidValueError(
                f"{self.describe()}: Population '{self._pop.name}' has no shape yet; "
                f"create the recorder once its connections have given it one")
        self._neuron_filter = get_neuron_filter(neuron_filter, self._pop.shape)
        require_selected_neurons(self.describe(), "neuron_filter", neuron_filter,
                                 self._neuron_filter)
        super().__init__(key, example_filter, to_disk)
        self._pull = False

    def describe(self) -> str:
        what = ", record_spike_events=True" if self._kind == "spike_events" else ""
        return f"SpikeRecorder(Population '{self._pop.name}'{what})"

    def _check_population_flag(self) -> None:
        flag = "record_spike_events" if self._kind == "spike_events" else "record_spikes"
        if not getattr(self._pop, flag, False):
            what = "spike-like events" if self._kind == "spike_events" else "spikes"
            raise InvalidValueError(
                f"SpikeRecorder needs {flag}=True on Population '{self._pop.name}': "
                f"the engine only records {what} of populations created with it, "
                f"e.g. Population(..., {flag}=True)")

    # ------------------------------------------------------------------ set-up
    def prepare(self, compiled_network: Any) -> None:
        self._check_population_flag()
        self._group = neuron_group(compiled_network, self._pop, self.describe())
        flag = "record_spike_events" if self._kind == "spike_events" else "record_spikes"
        if recording_enabled(self._group, self._kind) is False:
            raise InvalidValueError(
                f"SpikeRecorder needs {flag}=True on Population '{self._pop.name}' "
                f"when the network is compiled; it was set after compiling, so "
                f"compile the network again")
        self._buffer_steps = int(getattr(self._genn_model, "num_recording_timesteps", 0) or 0)
        if self._buffer_steps <= 0:
            raise RuntimeError(f"{self.describe()}: the compiled network was loaded without a "
                               f"spike recording buffer (num_recording_timesteps is "
                               f"{self._buffer_steps!r})")
        self._buffer = packed_recording_buffer(self._group, self._kind)
        nf = self._neuron_filter
        self._neuron_ids = None if nf.records_all else nf.indices
        # The cpu backend decodes the recorded rows natively, with a decoder prepared once
        make_decoder = getattr(self._group, "recording_decoder", None)
        self._decoder = None
        if self._buffer is not None and make_decoder is not None:
            self._decoder = make_decoder("evt" if self._kind == "spike_events" else "spk",
                                         None if self._neuron_ids is None else nf.mask)
        # In memory, a run's batches are appended natively to memory from the sink
        self._stream = (self._decoder is not None and not self.record_counts
                        and self.to_disk is None and hasattr(self._decoder, "streams"))
        self._begin_step: Optional[int] = None
        label = self.key if self.key is not None else f"{self._kind}_{self._pop.name}"
        if self.record_counts:
            self._sink = DenseSink(self.to_disk, f"{label}_counts")
        else:
            self._sink = RaggedSink([("times", np.float64), ("ids", np.int64)],
                                    self.to_disk, str(label))

    def set_params(self, compiled_network: Any = None, **kwargs: Any) -> None:
        """Bind to the run (see :meth:`Recorder.set_params`); join the run's other spike
        recorders so that one of them decodes each batch for all.

        Parameters
        ----------
        compiled_network
            The (loaded) compiled network being run.
        **kwargs
            The other run parameters; ``data`` is the run's shared dict.
        """
        super().set_params(compiled_network=compiled_network, **kwargs)
        self._shared = None
        if not self._stream:
            return
        self._decoder.set_slots(self._slots)
        timesteps = int(getattr(compiled_network, "example_timesteps", None)
                        or self._buffer_steps)
        # The whole run where its length is known, else a batch
        examples = self._run_examples if self._run_examples is not None else self._batch_size
        self._timesteps = timesteps
        self._segments = SpikeSegments(self._decoder, self._sink,
                                       self._first_segment_entries(examples, timesteps),
                                       self._run_examples)
        # Without a run's shared dict (set up by hand) a recorder decodes for itself alone
        data = kwargs.get("data")
        data = data if isinstance(data, dict) else {}
        shared = data.get(_SHARED_DECODING_KEY)
        if shared is None or shared.closed or shared.genn_model is not self._genn_model:
            shared = data[_SHARED_DECODING_KEY] = _SharedDecoding(self._genn_model)
        shared.members.append(self)
        shared.streams = None
        self._shared = shared
        # The slots are set when the batch ends (a batch is the ring's last timesteps): no hook
        # at the batch's start
        self.on_batch_begin = None
        if len(shared.members) > 1:
            # The first member decodes for this one: hooks set to None are not called
            self.on_batch_end = None

    def _rate_key(self) -> Tuple[str, Optional[bytes]]:
        nf = self._neuron_filter
        return self._kind, None if self._neuron_ids is None else nf.mask.tobytes()

    def _first_segment_entries(self, examples: int, timesteps: int) -> int:
        """Entries of the first segment of a run of ``examples`` recorded examples: at the rate
        an earlier run of this population recorded, with headroom, or else at the assumed
        firing rate up to :data:`FIRST_SEGMENT_MAX_ENTRIES`."""
        try:
            rate = _OBSERVED_RATES.get(self._group, {}).get(self._rate_key())
        except TypeError:   # a group that cannot be weakly referenced: nothing learnt
            rate = None
        if rate is None:
            expected = self.estimate_memory(examples, timesteps) // BYTES_PER_SPIKE
            return min(expected, FIRST_SEGMENT_MAX_ENTRIES)
        return min(int(rate * examples * timesteps * SEGMENT_HEADROOM) + 1, MAX_SEGMENT_ENTRIES)

    def _remember_rate(self) -> None:
        """Keep this run's spikes per example and timestep for the next run's first segment."""
        examples = self._segments.examples
        if examples == 0 or not self._timesteps:
            return
        try:
            rates = _OBSERVED_RATES.setdefault(self._group, {})
        except TypeError:
            return
        rates[self._rate_key()] = self._segments.entries / (examples * self._timesteps)

    def set_first(self) -> None:
        """Make this recorder the one that pulls recording buffers from the device."""
        self._pull = True

    def estimate_memory(self, num_examples: int, num_timesteps: int) -> int:
        neurons = self._neuron_filter.num_selected
        if self.record_counts:
            return num_examples * neurons * 8
        expected_spikes = num_examples * num_timesteps * neurons * ASSUMED_SPIKE_PROBABILITY
        return int(expected_spikes * BYTES_PER_SPIKE)

    # ------------------------------------------------------------------ hooks
    def on_batch_begin(self, batch: int) -> None:
        self._slots = self.slots_for_batch(batch)
        self._begin_step = int(self._genn_model.timestep)

    def on_batch_end(self, batch: int, metrics: Any) -> None:
        genn_model = self._genn_model
        if self._pull:
            genn_model.pull_recording_buffers_from_device()
        shared = self._shared
        if shared is not None:
            streams = shared.streams or shared.start()
            shared.set_slots(batch)
            # A batch is the ring's last num_recording_timesteps timesteps, as mlGeNN reads it
            if streams.decode_latest():
                self._make_room(streams, streams.first_step, streams.end_step)
            return
        if self._slots.size == 0:
            return  # nothing recorded from this batch: no unpacking, no copies
        first, end = timestep_range(self._begin_step, genn_model.timestep, self._buffer_steps,
                                    self)
        self._begin_step = None
        if self._decoder is not None:
            allocate = None if self.record_counts else self._allocate_spikes
            self._store_batch(*self._decoder(first, end, self._slots, allocate))
            return
        if self._buffer is not None:
            nf = self._neuron_filter
            mask = None if self._neuron_ids is None else nf.mask
            num_slots = len(self._slots)
            # Elsewhere the packed rows are unpacked with NumPy into the same layout
            steps, words = gather_words(self._buffer, first, end, self._slots)
            example, row, ids = find_spikes(words, nf.mask.size, mask)
            offsets = np.searchsorted(example, np.arange(num_slots + 1))
            self._store_batch(offsets, steps[row] * float(genn_model.dt), ids)
        else:
            data = recording_data_lists(self._group, self._kind)
            result = from_recording_lists(data, self._slots, self._neuron_filter.mask,
                                          self._neuron_filter.indices, self.record_counts)
            self._sink.append(result)

    def _make_room(self, streams: Any, first: int, end: int) -> None:
        """Give the members whose batch did not fit a larger segment, and decode it again."""
        for recorder in self._shared.members:
            if recorder._decoder.fitted:
                continue
            recorder._segments.make_room()
            if not streams.decode_again(recorder._decoder, first, end):
                raise RuntimeError(f"{recorder.describe()}: {recorder._decoder.needed} spikes "
                                   f"did not fit the memory made for them")

    def _allocate_spikes(self, count: int):
        """Memory for a batch's decoded spike times and ids, from the sink."""
        return self._sink.empty(count, np.float64), self._sink.empty(count, np.int64)

    def _store_batch(self, offsets: np.ndarray, times: np.ndarray, ids: np.ndarray) -> None:
        """Hand a decoded batch to the sink: as counts, or as per-example times and ids.

        Example ``k``'s spikes are entries ``offsets[k]:offsets[k + 1]`` of ``times``/``ids``."""
        if self.record_counts:
            num_slots = len(offsets) - 1
            example = np.repeat(np.arange(num_slots), np.diff(offsets))
            self._sink.append(spike_counts(example, ids, num_slots, self._neuron_filter.mask.size,
                                           self._neuron_ids))
        else:
            self._sink.append_batch(offsets, (times, ids))

    # ------------------------------------------------------------------ results
    def result(self) -> SpikeData:
        if getattr(self, "_shared", None) is not None:
            # The run is over: no batch is left to decode, and members and the shared object
            # no longer refer to each other (the cycle would wait for the cycle collector)
            self._shared.closed = True
            self._shared.members.clear()
            self._shared.streams = None
            self._shared = None
        if getattr(self, "_segments", None) is not None:
            self._remember_rate()
            self._segments.finish()
            self._segments = None
        if getattr(self, "_decoder", None) is not None:
            # The next run's recorder of this population starts from this decoder
            release = getattr(self._group, "release_recording_decoder", None)
            if release is not None:
                release(self._decoder)
            self._decoder = None
        return self._sink.result()

    def empty_result(self) -> SpikeData:
        return [] if self.record_counts else ([], [])
