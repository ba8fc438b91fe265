"""The generator: turns a finalized :class:`ModelSpec` into one C source.

Its parts, one module per kind of generated code (as GeNN splits code generation), are mixed
into :class:`Generator`: :mod:`.layout` (arrays and control slots), :mod:`.kernel_frame` and
:mod:`.environment` (what kernels and code strings share), :mod:`.neuron_update` with
:mod:`.spike_queue`, :mod:`.synapse_update` with :mod:`.synapse_rows` and
:mod:`.post_history`, :mod:`.custom_update`, :mod:`.custom_connectivity_update`, :mod:`.initialisation` and :mod:`.run_loop`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List

from ....engine.errors import CodeCompileError
from ..array_table import ArrayTable
from ..c_support import RNG_FUNCTIONS, epilogue, prelude
from ..code_block import CodeEmitter, resolve_line_marks
from ..timing import timing_support
from .custom_connectivity_update import CustomConnectivityUpdateMixin
from .custom_update import CustomUpdateMixin
from .environment import EnvironmentMixin
from .initialisation import InitialisationMixin
from .kernel_frame import KernelFrameMixin
from .layout import NUM_FIXED_CTL, LayoutMixin
from .neuron_update import NeuronUpdateMixin
from .post_history import PostHistoryMixin
from .run_loop import RunLoopMixin
from .spike_queue import SpikeQueueMixin
from .synapse_rows import SynapseRowsMixin
from .synapse_update import SynapseUpdateMixin

#: The generated file's name in ``#line`` directives resuming generated code
SOURCE_NAME = "model.c"

_RNG_CALL = re.compile(r"\b(gennrand\w*)\s*\(")
_C_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def check_rng_calls(model_name: str, code_labels: Dict[str, str]) -> None:
    """Raise :class:`CodeCompileError` where a code string calls a ``gennrand*`` function that
    GeNN 5 does not have: C would only warn of an implicit declaration, and the library would
    then fail to load with an undefined symbol.

    Parameters
    ----------
    model_name
        The model, for the message.
    code_labels
        ``Model.field`` -> code string, of every code string in the source.
    """
    known = ", ".join(f"{n}()" for n in sorted(RNG_FUNCTIONS))
    for label, code in code_labels.items():
        # Comments blanked (their newlines kept): a commented-out call is no call
        code = _C_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), code or "")
        for line_no, line in enumerate(code.splitlines(), 1):
            for m in _RNG_CALL.finditer(line):
                if m.group(1) not in RNG_FUNCTIONS:
                    raise CodeCompileError(
                        f"Model '{model_name}' failed to compile:\n{label}:{line_no}: unknown random "
                        f"function '{m.group(1)}'; the random functions are {known}\n    {line.strip()}")


@dataclass
class GeneratedModel:
    """The generated source with everything the loader needs to drive it."""
    source: str
    table: ArrayTable
    ctl_slots: Dict[tuple, int]
    num_ctl: int
    update_groups: List[str]
    code_labels: Dict[str, str]
    block_ends: Dict[int, str] = field(default_factory=dict)
    #: Update group -> names of the SPARSE synapse groups its custom connectivity updates
    #: change (the loader rebuilds their column index and views after running it)
    rewired_synapse_groups: Dict[str, List[str]] = field(default_factory=dict)


class Generator(LayoutMixin, KernelFrameMixin, EnvironmentMixin, NeuronUpdateMixin,
                SpikeQueueMixin, SynapseRowsMixin, PostHistoryMixin, SynapseUpdateMixin,
                CustomUpdateMixin, CustomConnectivityUpdateMixin, InitialisationMixin, RunLoopMixin):
    """Turns a finalized spec into C (one instance per build)."""

    def __init__(self, spec):
        self.spec = spec
        self.B = spec.batch_size
        self.table = ArrayTable()
        self.emit = CodeEmitter()
        self.ctl_slots: Dict[tuple, int] = {}
        self.var_slot: Dict[int, object] = {}   # id(VarSpec) -> ArraySlot
        self.egp_slot: Dict[int, object] = {}   # id(EGPSpec) -> ArraySlot
        self.history_readers: Dict[tuple, str] = {}   # (group, var) -> C reader of its history
        self.sc = "scalar"
        self._dyn_locals = None   # dynamic params read on entry to the kernel being generated
        # With a batch, each thread owns a slice of batch elements for a whole run_timesteps
        # call (batch elements are independent within a run): one parallel region per call, no
        # barrier per timestep. A batch of one keeps per-step parallel loops over neurons and
        # targets instead.
        self.slice_mode = spec.batch_size > 1

    def generate(self) -> GeneratedModel:
        spec = self.spec
        self.layout()
        T = self.table
        src: List[str] = prelude(spec.precision, spec.dt).splitlines()
        src += T.struct_decl().splitlines()
        if spec.timing_enabled:
            src += timing_support(T["timing_ticks",].cname, T["timing",].cname).splitlines()
        src += self.history_reader_functions()
        src += self.init_functions()
        groups = list(spec.neuron_populations.values())
        syns = list(spec.synapse_populations.values())
        syn_fns = []
        for si, s in enumerate(syns):
            fn = self.synapse_update(si, s)
            if fn:
                syn_fns.append(si)
                src += fn
        for gi, g in enumerate(groups):
            src += self.neuron_update(gi, g)
        update_groups = []
        cus = list(spec.custom_updates.values())
        for ci, c in enumerate(cus):
            src += self.custom_update(ci, c)
            if c.update_group_name not in update_groups:
                update_groups.append(c.update_group_name)
        ccus = list(spec.custom_connectivity_updates.values())
        rewired: Dict[str, List[str]] = {}
        for ci, c in enumerate(ccus):
            src += self.custom_connectivity_update(ci, c)
            if c.update_group_name not in update_groups:
                update_groups.append(c.update_group_name)
            names = rewired.setdefault(c.update_group_name, [])
            # Only rows change connectivity (a host stage cannot add or remove synapses)
            if c.model.row_update_code.strip() and c.synapse_group.name not in names:
                names.append(c.synapse_group.name)
        src += self.step_function(syns, syn_fns)
        src += self.run_function()
        src += self.custom_update_dispatch(update_groups, cus, ccus)
        src += epilogue().splitlines()
        check_rng_calls(spec.model_name, self.emit.labels)
        source, block_ends = resolve_line_marks(src, SOURCE_NAME, self.emit.files)
        return GeneratedModel(source, T, dict(self.ctl_slots), NUM_FIXED_CTL + len(self.ctl_slots),
                              update_groups, dict(self.emit.labels), block_ends, rewired)

