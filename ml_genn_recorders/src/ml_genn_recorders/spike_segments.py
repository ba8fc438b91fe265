"""SpikeSegments: the memory a SpikeRecorder's native decoder appends a run's spikes to.

On the cpu backend a run's spike recorders decode every batch in one native call that
appends each recorder's spikes to a *segment*: a pair of times/ids arrays carved from the
recorder's sink, with an array of per-example ends beside it. Python does nothing per batch
and recorder but that call. Only when a batch does not fit does this class take over: it
hands the full segment to the sink as one block of examples and opens a larger one, sized
from the spikes per example seen so far and the examples still to come, so that a run
needs one or two segments whatever its length.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .sinks import RaggedSink

#: Entries of the smallest and (unless a single batch needs more) largest segment
MIN_SEGMENT_ENTRIES = 4096
MAX_SEGMENT_ENTRIES = 8 << 20
#: A new segment holds the expected rest of the run times this, so that a run a little
#: busier than its start still fits
SEGMENT_HEADROOM = 1.25


class SpikeSegments:
    """A recorder's stream of decoded spikes, in segments handed to a :class:`RaggedSink`.

    Parameters
    ----------
    decoder
        The recorder's decoder (``RecordingDecoder`` of the cpu backend).
    sink
        Where finished segments go, one block of examples each.
    first_entries
        Entries of the first segment.
    expected_examples
        Examples the run records, if known: sizes the ends array and later segments.
    """

    def __init__(self, decoder: Any, sink: RaggedSink, first_entries: int,
                 expected_examples: Optional[int]):
        self._decoder = decoder
        self._sink = sink
        self._expected_examples = expected_examples
        self._ends = np.empty(max(64, expected_examples or 0), dtype=np.int64)
        decoder.stream_ends_to(self._ends, 0)
        self._closed_entries = 0       # entries in segments already handed to the sink
        self._segment_first_example = 0
        self._open(max(MIN_SEGMENT_ENTRIES, int(first_entries)))

    def make_room(self) -> None:
        """Room for the batch the decoder just found no room for (its ``needed`` spikes and
        one end per slot)."""
        decoder = self._decoder
        needed = int(decoder.needed)
        examples = int(decoder.stream_examples)
        slots = int(decoder.num_slots)
        if examples + slots > self._ends.size:
            grown = np.empty(max(2 * self._ends.size, examples + slots), dtype=np.int64)
            grown[:examples] = self._ends[:examples]
            self._ends = grown
            decoder.stream_ends_to(grown, examples)
        used = int(decoder.stream_used)
        if used + needed > decoder.stream_capacity:
            self._close_segment()
            self._open(self._next_segment_entries(needed, slots))

    @property
    def entries(self) -> int:
        """Spikes streamed so far, over all segments."""
        return self._closed_entries + int(self._decoder.stream_used)

    @property
    def examples(self) -> int:
        """Examples streamed so far."""
        return int(self._decoder.stream_examples)

    def finish(self) -> None:
        """Hand what the current segment holds to the sink (the run is over); the decoder
        keeps none of the run's memory."""
        self._close_segment()
        self._decoder.stop_streaming()

    # ------------------------------------------------------------------ helpers
    def _open(self, entries: int) -> None:
        times = self._sink.empty(entries, np.float64)
        ids = self._sink.empty(entries, np.int64)
        self._decoder.stream_to(times, ids)
        self._times, self._ids = times, ids
        self._segment_first_example = int(self._decoder.stream_examples)

    def _close_segment(self) -> None:
        decoder = self._decoder
        used = int(decoder.stream_used)
        first, end = self._segment_first_example, int(decoder.stream_examples)
        if end > first:
            bounds = np.empty(end - first + 1, dtype=np.int64)
            bounds[0] = 0
            bounds[1:] = self._ends[first:end]
            self._sink.append_batch(bounds, (self._times[:used], self._ids[:used]))
        self._closed_entries += used
        self._segment_first_example = end

    def _next_segment_entries(self, needed: int, slots: int) -> int:
        """Entries for a new segment that must take a batch of ``needed`` spikes over
        ``slots`` examples, and, if the run's length is known, the expected rest of it."""
        decoder = self._decoder
        done_examples = int(decoder.stream_examples)
        done_entries = self._closed_entries
        if done_examples:
            per_example = done_entries / done_examples
        else:
            per_example = needed / max(slots, 1)
        if self._expected_examples is not None:
            rest = max(0, self._expected_examples - done_examples - slots)
            entries = needed + SEGMENT_HEADROOM * per_example * rest
        else:
            entries = max(2 * needed, 2 * len(self._times))   # unknown length: grow geometrically
        return int(max(needed, min(MAX_SEGMENT_ENTRIES, max(MIN_SEGMENT_ENTRIES, entries))))
