"""Base class of neuron models."""
from __future__ import annotations

from typing import Any, Dict, Optional, Union

from ..readouts import Readout
from ..utils.module import get_object
from ..errors import InvalidTypeError, InvalidValueError


class Neuron:
    """Base class of every neuron model.

    Subclasses declare their parameters as :class:`~ml_genn.utils.value.ValueDescriptor`
    class attributes and hold every validated constructor argument as an attribute of the same
    name. Compilers add the engine model (``get_model(population, dt, batch_size)``).

    Parameters
    ----------
    readout
        Readout of this neuron's output (for output populations): a Readout object or a
        registered name such as ``"spike_count"``; ``None`` for none.

    Attributes
    ----------
    output_var_name
        Name of the engine variable that readouts such as ``"avg_var"`` read, or ``None`` if
        the model has none.
    spiking
        Whether the model emits spikes (readouts such as ``"spike_count"`` need it).
    """

    output_var_name: Optional[str] = None
    spiking: bool = True

    def __init__(self, readout: Union[Readout, str, None] = None, **kwargs: Any):
        init_next_base(Neuron, self, kwargs)
        self.readout = readout

    @property
    def readout(self) -> Optional[Readout]:
        """Readout of this neuron's output, or ``None``."""
        return self._readout

    @readout.setter
    def readout(self, readout: Union[Readout, str, None]) -> None:
        resolved = get_object(readout, Readout, f"{type(self).__name__} readout", "readout")
        # A model that declares its output variable only in get_model (mlGeNN's
        # NeuronModel(model, output_var_name, ...)) is checked when its readout is built
        declares_output = any("output_var_name" in vars(c) for c in type(self).__mro__
                              if c is not Neuron)
        if resolved is not None:
            kind = type(resolved).__name__
            if resolved.needs_output_var and declares_output and self.output_var_name is None:
                raise InvalidValueError(
                    f"{kind} readout needs a neuron model with an output variable, "
                    f"but {type(self).__name__} has none; use a spike-based "
                    f"readout such as 'spike_count'")
            if resolved.needs_spikes and not self.spiking:
                raise InvalidValueError(f"{kind} readout needs a spiking neuron model, but "
                                        f"{type(self).__name__} never spikes; use a variable-based "
                                        f"readout such as 'avg_var'")
        self._readout = resolved

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def get_model(self, population: Any, dt: float, batch_size: int) -> Any:
        """The engine model builder (:class:`ml_genn.utils.model_builder.NeuronModelBuilder`) of this neuron.

        Parameters
        ----------
        population
            The population this neuron model belongs to.
        dt
            Simulation timestep [ms].
        batch_size
            Batch size of the compiled model.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement get_model(); "
                                  f"it cannot be compiled")


def init_next_base(cls: type, instance: Any, kwargs: Dict[str, Any]) -> None:
    """Cooperative construction, as mlGeNN's models use it: hand the keywords ``cls`` did not
    take on to the next class in ``instance``'s MRO that has a constructor (so ``class
    MyInput(LeakyIntegrateFire, InputBase)`` can take both bases' arguments in one
    ``super().__init__(...)`` call), and refuse the ones no class takes.

    Parameters
    ----------
    cls
        The class whose ``__init__`` is running.
    instance
        The object being constructed.
    kwargs
        Keywords ``cls.__init__`` did not consume.
    """
    mro = type(instance).__mro__
    following = mro[mro.index(cls) + 1:]
    nxt = next(c for c in following if "__init__" in vars(c))
    if nxt is object:
        if kwargs:
            names = ", ".join(repr(k) for k in kwargs)
            raise InvalidTypeError(
                f"{type(instance).__name__}() got unexpected keyword argument(s) "
                f"{names}")
        return
    super(cls, instance).__init__(**kwargs)

