"""Generate one C source for a finalized :class:`ModelSpec` (:class:`Generator`, whose parts
live in one module per kind of generated code; see :mod:`.generator`).

Layout conventions (Python allocates, see :mod:`..array_table`):

* a batched per-element variable is ``[batch][element]``; shared ones drop ``batch``;
* spike queues are ``[batch][delay slot][neuron]`` with counts ``[batch][delay slot]``;
* SPARSE rows are ragged: ``ind[pre * max_row_length + k]`` for ``k < row_length[pre]``;
* dendritic delay buffers are ``[batch][slot][post]``; spike recording is
  ``[batch][timestep % num_recording_timesteps][words]`` with bit ``id % 32`` of word ``id / 32``,
  plus the number of set bits per row in ``[batch][timestep % num_recording_timesteps]``, and a
  spike log ``[batch][capacity]`` of the ids of the current ring cycle (restarted at ring row 0)
  in queue order, with its count per batch element; both are written from the step's spike
  queue once the neuron loop is done;
* a neuron variable recorded natively (switched on at runtime, NULL otherwise) is
  ``[timestep % ctl[CTL_VAR_REC]][batch][neuron]``.

Threads: batch elements are independent within a run, so with a batch ``ml_genn_run(n)`` opens
one OpenMP region in which each thread takes a contiguous slice of batch elements and runs each
of them through all ``n`` steps, with its own copy of the step counters (timestep, RNG step,
queue and delay pointers, which depend on the step alone). There is no synchronisation per
step, an element's state stays in cache across steps, and a descheduled thread delays only its
own elements. A batch of one instead parallelises each step over neurons and, where nothing
presynaptic is written, over target ranges of spike propagation (bit-equal to serial).
"""
from __future__ import annotations

from .generator import SOURCE_NAME, GeneratedModel, Generator
from .kernel_frame import stream_id
from .layout import CTL_CU_STEP, CTL_VAR_REC, NUM_FIXED_CTL

__all__ = ["Generator", "GeneratedModel", "SOURCE_NAME", "NUM_FIXED_CTL", "CTL_CU_STEP",
           "CTL_VAR_REC", "stream_id"]
