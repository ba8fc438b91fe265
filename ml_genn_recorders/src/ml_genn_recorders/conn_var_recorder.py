"""ConnVarRecorder: a synapse variable of a connection at every timestep, per example."""
from __future__ import annotations

from typing import Any, List, Optional

import numpy as np

from ml_genn.engine import SynapseMatrixType
from ml_genn.utils.filter import ExampleFilterType, NeuronFilterType, get_neuron_filter
from ml_genn.utils.network import get_underlying_conn

from .engine_access import synapse_group
from .recorder import Recorder, require_selected_neurons
from .sinks import DenseSink, PathType
from .timestep_sampler import TimestepSampler, make_gather, var_is_batched
from ml_genn.errors import InvalidTypeError, InvalidValueError


class ConnVarRecorder(Recorder):
    """Record a synapse variable of a connection at the end of every timestep.

    By convention ``g`` is the weight and ``d`` the per-synapse delay; compilers add their own
    (e.g. ``Gradient`` under EventProp).

    Parameters
    ----------
    conn
        Connection to record.
    genn_var
        Engine name of the synapse variable.
    key
        Key of the recording in ``cb_data``.
    example_filter
        Which examples to record: an int, a sequence of ints or a boolean mask.
    src_neuron_filter, trg_neuron_filter
        Which source / target neurons' synapses to record (neuron filters of the source and
        target populations' shapes).
    to_disk
        Folder to stream the recording into (``.npy`` files) instead of memory.

    Notes
    -----
    ``cb_data[key]`` is a list with, per recorded example, an array of shape
    ``(timesteps, recorded_sources, recorded_targets)``. For SPARSE connectivity, pairs of
    neurons without a synapse hold NaN. Convolution (TOEPLITZ) connectivity stores a kernel,
    not per-synapse values, and cannot be recorded this way.
    """

    def __init__(self, conn: Any, genn_var: str, key: Any = None,
                 example_filter: ExampleFilterType = None,
                 src_neuron_filter: NeuronFilterType = None,
                 trg_neuron_filter: NeuronFilterType = None,
                 to_disk: Optional[PathType] = None):
        self._conn = get_underlying_conn(conn)
        if not isinstance(genn_var, str) or not genn_var:
            raise InvalidTypeError(
                f"ConnVarRecorder(Connection '{self._conn.name}'): genn_var must be "
                f"the engine name of a synapse variable such as 'g', got "
                f"{type(genn_var).__name__}: {genn_var!r}")
        self._var = genn_var
        source, target = self._conn.source, self._conn.target
        self._src_filter = get_neuron_filter(src_neuron_filter, source.shape)
        self._trg_filter = get_neuron_filter(trg_neuron_filter, target.shape)
        require_selected_neurons(self.describe(), "src_neuron_filter", src_neuron_filter,
                                 self._src_filter)
        require_selected_neurons(self.describe(), "trg_neuron_filter", trg_neuron_filter,
                                 self._trg_filter)
        self._shape = (self._src_filter.num_selected, self._trg_filter.num_selected)
        # The engine's default precision until bound (see VarRecorder)
        self._dtype = np.dtype(np.float32)
        super().__init__(key, example_filter, to_disk)

    def describe(self) -> str:
        return f"ConnVarRecorder(Connection '{self._conn.name}', '{self._var}')"

    @property
    def genn_var(self) -> str:
        """The engine variable recorded."""
        return self._var

    # ------------------------------------------------------------------ set-up
    def prepare(self, compiled_network: Any) -> None:
        group = synapse_group(compiled_network, self._conn, self.describe())
        if self._var not in group.vars:
            available = ", ".join(f"'{v}'" for v in group.vars) or "none"
            raise InvalidValueError(
                f"{self.describe()}: Connection '{self._conn.name}' has no synapse "
                f"variable '{self._var}' in the compiled network; its variables: "
                f"{available}")
        matrix_type = getattr(group, "matrix_type", SynapseMatrixType.DENSE)
        if matrix_type is SynapseMatrixType.TOEPLITZ:
            raise InvalidValueError(
                f"{self.describe()}: Connection '{self._conn.name}' has convolution "
                f"(TOEPLITZ) connectivity, which stores kernel values rather than "
                f"one value per synapse; record a DENSE or SPARSE connection")
        self._group = group
        self._var_view = group.vars[self._var]
        src, trg = self._src_filter.indices, self._trg_filter.indices
        num_src, num_trg = self._src_filter.mask.size, self._trg_filter.mask.size
        self._shape = (len(src), len(trg))
        self._sparse = matrix_type is SynapseMatrixType.SPARSE
        if self._sparse:
            # Packed synapse index of each recorded (source, target) pair; -1: no synapse
            lookup = np.full((num_src, num_trg), -1, dtype=np.int64)
            pre, post = group.get_sparse_pre_inds(), group.get_sparse_post_inds()
            lookup[pre, post] = np.arange(len(pre))
            positions = lookup[np.ix_(src, trg)].ravel()
            self._missing = positions < 0
            self._columns = np.where(self._missing, 0, positions)
            sample = self._var_view.values
            per_example = len(pre)
        else:
            flat = (src[:, None] * num_trg + trg[None, :]).ravel()
            all_pairs = self._src_filter.records_all and self._trg_filter.records_all
            self._columns = None if all_pairs else flat
            sample = self._var_view.view
            per_example = num_src * num_trg
        self._batched = var_is_batched(sample, self._batch_size, per_example, self.describe())
        self._dtype = np.result_type(sample.dtype, np.float32) if self._sparse else sample.dtype
        self._sampler = TimestepSampler(self._batched)
        self._start_batch(self._slots)
        label = self.key if self.key is not None else f"{self._conn.name}_{self._var}"
        self._sink = DenseSink(self.to_disk, str(label))

    def _start_batch(self, slots: np.ndarray) -> None:
        self._slots = slots
        self._gather = make_gather(self._batched, self._batch_size, slots, self._columns)
        self._sampler.start(len(slots))

    def _sample(self) -> np.ndarray:
        self._var_view.pull_from_device()
        if not self._sparse:
            values = self._gather(self._var_view.view)
        else:
            values = self._gather(self._var_view.values).astype(self._dtype, copy=False)
            values[..., self._missing] = np.nan
        return values.reshape(values.shape[:-1] + self._shape)

    def _flush(self) -> None:
        block = self._sampler.take_block()
        if block is not None:
            self._sink.append(block)

    def estimate_memory(self, num_examples: int, num_timesteps: int) -> int:
        return num_examples * num_timesteps * self._shape[0] * self._shape[1] \
            * self._dtype.itemsize

    # ------------------------------------------------------------------ hooks
    def on_batch_begin(self, batch: int) -> None:
        self._flush()
        self._start_batch(self.slots_for_batch(batch))

    def on_timestep_end(self, timestep: int) -> None:
        if self._sampler.active:
            self._sampler.add(self._sample())

    def on_batch_end(self, batch: int, metrics: Any) -> None:
        self._flush()

    # ------------------------------------------------------------------ results
    def result(self) -> List[np.ndarray]:
        self._flush()
        return self._sink.result()
