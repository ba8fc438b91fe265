"""The few-spike compiler: ANNs of ReLU units run as pipelined few-spike networks."""
from __future__ import annotations

from typing import Any, Dict

from ..engine import ModelSpec, SynapseMatrixType
from ..errors import InvalidValueError
from ..neurons.checks import check_positive_int
from ..neurons.few_spike_relu import FewSpikeRelu
from ..neurons.few_spike_relu_input import FewSpikeReluInput
from ..readouts import Var
from ..readouts.readout import apply_readout
from ..synapses import Delta
from ..utils.model_builder import NeuronModelBuilder
from ..utils.network import get_network_dag
from ..utils.value import is_value_constant
from .compiled_few_spike_network import CompiledFewSpikeNetwork
from .compiler import Compiler
from .data_checks import get_input_populations, get_output_populations


class FewSpikeCompiler(Compiler):
    """Compiles networks of :class:`~ml_genn.neurons.FewSpikeRelu` and
    :class:`~ml_genn.neurons.FewSpikeReluInput` neurons joined by ``Delta`` synapses (an ANN
    converted to few-spike coding, Stöckl & Maass 2021) for pipelined inference.

    Every connection is delayed so that the digits of one example reach each population
    together: a connection that skips layers waits, in whole presentations of ``k`` timesteps,
    for the longest path into its target.

    Parameters
    ----------
    k
        Timesteps of one presentation (the neurons' ``k``).
    dt
        Simulation timestep [ms].
    batch_size
        Examples simulated in parallel.
    rng_seed
        Seed of the engine's random numbers (0: from the OS).
    kernel_profiling
        Time every kind of kernel (pygenn's timers on ``genn_model``, in seconds).
    prefer_in_memory_connect
        Whether connectivity prefers explicit synapses (sparse, dense) over kernels
        (toeplitz), as mlGeNN orders them.
    communicator
        :class:`~ml_genn.communicators.Communicator` to evaluate across ranks (each rank
        simulates ``batch_size / num_ranks`` examples of every batch; metrics are reduced),
        or ``None``.
    **genn_kwargs
        Backend options (e.g. ``backend="cpu"``).
    """

    def __init__(self, k: int = 10, dt: float = 1.0, batch_size: int = 1, rng_seed: int = 0,
                 kernel_profiling: bool = False, prefer_in_memory_connect: bool = True,
                 communicator: Any = None, **genn_kwargs: Any):
        types = ([SynapseMatrixType.SPARSE, SynapseMatrixType.DENSE, SynapseMatrixType.TOEPLITZ]
                 if prefer_in_memory_connect else
                 [SynapseMatrixType.TOEPLITZ, SynapseMatrixType.SPARSE, SynapseMatrixType.DENSE])
        super().__init__(types, dt, batch_size, rng_seed, kernel_profiling, communicator,
                         prefer_in_memory_connect=prefer_in_memory_connect, **genn_kwargs)
        self.k = check_positive_int("FewSpikeCompiler", "k", k)

    def pre_compile(self, network: Any, model_spec: ModelSpec, **kwargs: Any) -> Any:
        inputs = get_input_populations(network)
        outputs = get_output_populations(network)
        for pop in network.populations:
            neuron = pop.neuron
            if not isinstance(neuron, (FewSpikeRelu, FewSpikeReluInput)):
                raise NotImplementedError(
                    f"FewSpikeCompiler only compiles FewSpikeRelu and FewSpikeReluInput "
                    f"neurons, but Population '{pop.name}' has {type(neuron).__name__}")
            if neuron.k != self.k:
                raise InvalidValueError(
                    f"FewSpikeCompiler has k={self.k} but Population '{pop.name}' has "
                    f"{type(neuron).__name__} k={neuron.k}; they must match")
            if neuron.readout is not None and type(neuron.readout) is not Var:
                raise NotImplementedError(
                    f"FewSpikeCompiler reads outputs with the 'var' readout only, but "
                    f"Population '{pop.name}' has {type(neuron.readout).__name__}")
        for conn in network.connections:
            if not isinstance(conn.synapse, Delta):
                raise NotImplementedError(
                    f"FewSpikeCompiler only supports Delta synapses, but Connection "
                    f"'{conn.name}' has {type(conn.synapse).__name__}")
            delay = conn.connectivity.delay
            if not (is_value_constant(delay) and delay == 0):
                raise InvalidValueError(
                    f"FewSpikeCompiler sets every connection's delay itself (to line up "
                    f"the pipeline), but Connection '{conn.name}' has delay {delay!r}")
        # Depth of each population: how many presentations it lags the inputs
        depth: Dict[Any, int] = {}
        sends_at: Dict[Any, int] = {}
        conn_delay: Dict[Any, int] = {}
        for pop in get_network_dag(inputs, outputs):
            incoming = [c for c in pop.incoming_connections if c.source in sends_at]
            if not incoming:
                depth[pop], sends_at[pop] = 0, 0
                continue
            if any(c.source is pop for c in pop.incoming_connections):
                raise NotImplementedError(
                    f"FewSpikeCompiler compiles feed-forward networks, but Population "
                    f"'{pop.name}' connects to itself")
            depth[pop] = max(sends_at[c.source] for c in incoming)
            sends_at[pop] = depth[pop] + 1
            for c in incoming:
                conn_delay[c] = (depth[pop] - sends_at[c.source]) * self.k
        return {"inputs": inputs, "outputs": outputs, "depth": depth, "delay": conn_delay}

    def build_neuron_model(self, pop: Any, model: NeuronModelBuilder, compile_state: Any) -> NeuronModelBuilder:
        if pop.neuron.readout is not None:
            model = apply_readout(pop.neuron.readout, model, self.k, self.dt)
        return model

    def add_custom_updates(self, model_spec: ModelSpec, compile_state: Any,
                           neuron_groups: Dict[Any, Any], synapse_groups: Dict[Any, Any]) -> None:
        for conn, group in synapse_groups.items():
            group.axonal_delay_steps = compile_state["delay"].get(conn, 0)

    def create_compiled_network(self, built_model: Any, neuron_populations: Dict[Any, str],
                                connection_populations: Dict[Any, str],
                                compile_state: Any) -> CompiledFewSpikeNetwork:
        return CompiledFewSpikeNetwork(
            built_model, neuron_populations, connection_populations, self.connect_snippets,
            self.k, True, False, False, inputs=compile_state["inputs"],
            outputs=compile_state["outputs"], k=self.k,
            pop_pipeline_depth=compile_state["depth"])
