"""Base class of readouts."""
from __future__ import annotations

import inspect
from typing import Any, Tuple

import numpy as np

from ..errors import InvalidValueError


class Readout:
    """Base class of every readout.

    A readout turns the state of an output population over a trial into the values that
    metrics and losses see (one per neuron and example). Compilers call
    :meth:`add_readout_logic` to add the readout's state and code to the output neurons'
    engine model, and :meth:`get_readout` after a trial.

    Attributes
    ----------
    needs_output_var
        The readout reads the neuron model's output variable (e.g. ``V``), so the neuron
        must have one.
    needs_spikes
        The readout reads spikes, so the neuron must spike.
    """

    needs_output_var: bool = False
    needs_spikes: bool = False

    def add_readout_logic(self, model: Any, example_timesteps: int, dt: float) -> None:
        """Add variables and code to the output neuron model.

        Parameters
        ----------
        model
            The output population's :class:`ml_genn.utils.model_builder.NeuronModelBuilder`.
        example_timesteps
            Timesteps of one trial (what averages divide by).
        dt
            Simulation timestep [ms].
        """
        if self.needs_output_var:
            if model.output_var_name is None:
                raise InvalidValueError(
                    f"{type(self).__name__} readout needs a neuron model with an output "
                    f"variable, but {model.class_name}'s model names none; use a "
                    f"spike-based readout such as 'spike_count'")
            if model.output_var_name not in model.vars:
                raise InvalidValueError(
                    f"{type(self).__name__} readout reads variable "
                    f"'{model.output_var_name}', which {model.class_name}'s model does not "
                    f"have (its variables: {', '.join(model.vars) or 'none'})")
        self.output_var_name = model.output_var_name
        self.example_timesteps = int(example_timesteps)

    def get_readout(self, genn_pop: Any, batch_size: int, shape: Tuple[int, ...]) -> np.ndarray:
        """The readout of the trial just simulated, ``(batch_size,) + shape``.

        Parameters
        ----------
        genn_pop
            Runtime neuron group of the output population.
        batch_size
            Batch size of the compiled model.
        shape
            Shape of the output population.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement get_readout()")

    @staticmethod
    def _read(genn_pop: Any, name: str, batch_size: int, shape: Tuple[int, ...]) -> np.ndarray:
        view = np.asarray(genn_pop.vars[name].view, dtype=np.float64)
        return np.broadcast_to(view, (batch_size, view.shape[-1])).reshape((batch_size,) + tuple(shape)).copy()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def apply_readout(readout: "Readout", model: Any, example_timesteps: int, dt: float) -> Any:
    """Add ``readout``'s logic to the neuron ``model`` (an engine builder) and return the
    builder to use.

    A readout written for mlGeNN overrides ``add_readout_logic(self, model, **kwargs)`` and
    amends an :class:`ml_genn.utils.model.NeuronModel` (``add_var(name, type, value)``,
    ``append_sim_code``, ...), returning it: it is handed the builder's contents in that form,
    and its result is built again.

    Parameters
    ----------
    readout
        The output population's readout.
    model
        The population's :class:`ml_genn.utils.model_builder.NeuronModelBuilder`.
    example_timesteps
        Timesteps of one trial.
    dt
        Simulation timestep [ms].
    """
    params = inspect.signature(type(readout).add_readout_logic).parameters
    if "example_timesteps" in params:
        readout.add_readout_logic(model, example_timesteps, dt)
        return model
    from ..utils.model import NeuronModel
    mlgenn_model = NeuronModel.from_builder(model)
    result = readout.add_readout_logic(mlgenn_model, max_time_required=True, dt=dt,
                                       example_timesteps=example_timesteps)
    result = mlgenn_model if result is None else result
    if getattr(readout, "output_var_name", None) is None:
        readout.output_var_name = result.output_var_name
    return result.to_builder(model.class_name)

