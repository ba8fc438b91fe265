"""The inference compiler: runs networks forward and reads out their outputs."""
from __future__ import annotations

from typing import Any, Dict

from ..engine import ModelSpec, SynapseMatrixType
from ..utils.model_builder import NeuronModelBuilder
from .compiled_inference_network import CompiledInferenceNetwork
from ..readouts.readout import apply_readout
from .compiler import MAX_TIMESTEPS, Compiler
from ..utils.value import check_int
from .data_checks import get_input_populations, get_output_populations


class InferenceCompiler(Compiler):
    """Compiles networks for inference (``evaluate``/``predict``).

    Parameters
    ----------
    evaluate_timesteps
        Timesteps each example is simulated for.
    dt
        Simulation timestep [ms].
    batch_size
        Examples simulated in parallel.
    rng_seed
        Seed of the engine's random numbers (0: from the OS).
    kernel_profiling
        Time every kind of kernel (pygenn's timers on ``genn_model``, in seconds).
    prefer_in_memory_connect
        Accepted for mlGeNN compatibility.
    reset_time_between_batches
        Whether time restarts at 0 for every batch.
    reset_vars_between_batches
        Whether neuron state returns to its initial values for every batch.
    reset_in_syn_between_batches
        Whether synaptic input (and spikes in flight) is cleared for every batch.
    communicator
        :class:`~ml_genn.communicators.Communicator` to evaluate across ranks (each rank
        simulates ``batch_size / num_ranks`` examples of every batch; metrics are reduced),
        or ``None``.
    backend
        Registered backend name or object.
    **genn_kwargs
        Further options for the engine model.
    """

    def __init__(self, evaluate_timesteps: int, dt: float = 1.0, batch_size: int = 1,
                 rng_seed: int = 0, kernel_profiling: bool = False,
                 prefer_in_memory_connect: bool = True, reset_time_between_batches: bool = True,
                 reset_vars_between_batches: bool = True,
                 reset_in_syn_between_batches: bool = False, communicator: Any = None,
                 backend: Any = "cpu", **genn_kwargs: Any):
        # mlGeNN's preference order, less the procedural types this engine does not have
        super().__init__([SynapseMatrixType.SPARSE, SynapseMatrixType.DENSE,
                          SynapseMatrixType.TOEPLITZ], dt=dt, batch_size=batch_size,
                         rng_seed=rng_seed, kernel_profiling=kernel_profiling,
                         communicator=communicator, backend=backend,
                         prefer_in_memory_connect=prefer_in_memory_connect, **genn_kwargs)
        self.evaluate_timesteps = check_int("InferenceCompiler", "evaluate_timesteps",
                                            evaluate_timesteps, 1, "a positive integer "
                                            "below 2**32", limit=MAX_TIMESTEPS)
        self.reset_time_between_batches = reset_time_between_batches
        self.reset_vars_between_batches = reset_vars_between_batches
        self.reset_in_syn_between_batches = reset_in_syn_between_batches

    def pre_compile(self, network: Any, model_spec: ModelSpec, **kwargs: Any) -> Any:
        return {"inputs": get_input_populations(network),
                "outputs": get_output_populations(network)}

    def build_neuron_model(self, pop: Any, model: NeuronModelBuilder, compile_state: Any) -> NeuronModelBuilder:
        readout = pop.neuron.readout
        if readout is not None:
            model = apply_readout(readout, model, self.evaluate_timesteps, self.dt)
        return model

    def create_compiled_network(self, built_model: Any, neuron_populations: Dict[Any, str],
                                connection_populations: Dict[Any, str],
                                compile_state: Any) -> CompiledInferenceNetwork:
        return CompiledInferenceNetwork(
            built_model, neuron_populations, connection_populations, self.connect_snippets,
            self.evaluate_timesteps, self.reset_time_between_batches,
            self.reset_vars_between_batches, self.reset_in_syn_between_batches,
            inputs=compile_state["inputs"], outputs=compile_state["outputs"])
