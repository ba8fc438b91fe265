"""Values of model parameters and state: constants, arrays and initializers.

Every neuron, synapse and connectivity parameter that may vary per neuron or per synapse is held
in one uniform representation, so that compilers can treat them alike:

* a **constant**: a Python ``float`` or ``int`` (0-d arrays and NumPy scalars are unwrapped);
* an **array**: a numeric :class:`numpy.ndarray` (lists and tuples are converted);
* an **initializer**: an :class:`ml_genn.initializers.Initializer` (registered names such as
  ``"normal"`` are resolved through the plugin registry);
* ``None``, only where a parameter declares that it is optional (e.g. ``tau_refrac``).

Classes declare such parameters as :class:`ValueDescriptor` class attributes. A descriptor also
records which engine (GeNN) variables or parameters the value becomes, optionally through a
transform of ``(value, dt)`` (e.g. ``tau_mem`` becomes ``Alpha = exp(-dt / tau_mem)``).
"""
from __future__ import annotations

from collections import abc
import math
from numbers import Integral, Number
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from ..initializers.initializer import Initializer
from .module import get_object
from ..errors import InvalidTypeError, InvalidValueError

#: What users may pass for a value
Value = Union[Number, Sequence[Number], np.ndarray, Initializer]
#: What users may pass for a value, including registered initializer names
InitValue = Union[Value, str]
#: Transform of a value into an engine value, given the simulation timestep
Transform = Callable[[Any, float], Any]
#: Check of a constant or array value; returns an error text or None
ValueCheck = Callable[[np.ndarray], Optional[str]]


def is_value_constant(value: Any) -> bool:
    """Is ``value`` (already normalised) a single number?"""
    return isinstance(value, Number) and not isinstance(value, bool)


def is_value_array(value: Any) -> bool:
    """Is ``value`` (already normalised) an array?"""
    return isinstance(value, np.ndarray)


def is_value_initializer(value: Any) -> bool:
    """Is ``value`` an :class:`~ml_genn.initializers.Initializer`?"""
    return isinstance(value, Initializer)


def single_number(value: Any, what: str, compiler: str,
                  error: type = InvalidValueError) -> float:
    """``value`` as one number, for compilers whose rules need a value shared by a whole
    population (an array of equal values counts as one).

    Parameters
    ----------
    value
        A normalised value (number, array or Initializer).
    what
        How the error names it, e.g. ``"Population 'hidden' (LeakyIntegrateFire) tau_mem"``.
    compiler
        The compiler asking, for the error.
    error
        Exception class raised when the values differ or come from an initializer.
    """
    if isinstance(value, Number) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, np.ndarray) and value.size > 0 and np.all(value == value.flat[0]):
        return float(value.flat[0])
    raise error(f"{what} must be a single number for {compiler}, got {type(value).__name__}")


def check_int(owner: str, name: str, value: Any, minimum: int = 1,
              expected: str = "a positive integer", limit: Optional[int] = None) -> int:
    """Return ``value`` as an int if it is an integer (not a bool) in ``[minimum, limit)``.

    Whole floats such as ``4.0`` are accepted (mlGeNN scripts compute sizes with ``/``);
    other types (``"4"``, ``2.5``, ``None``, ``True``) are a type error naming ``name``.

    Parameters
    ----------
    owner
        What the value belongs to, for the message (e.g. ``"InferenceCompiler"``).
    name
        The argument's name.
    value
        The value given.
    minimum
        Smallest value allowed.
    expected
        What a valid value is, for the message.
    limit
        Values from this one up are refused (None: no limit).
    """
    whole_float = isinstance(value, (float, np.floating)) and math.isfinite(value) and \
        float(value).is_integer()
    if isinstance(value, (bool, np.bool_)) or not (isinstance(value, Integral) or whole_float):
        raise InvalidTypeError(f"{owner} {name} must be {expected}, got "
                               f"{type(value).__name__}: {value!r}")
    if value < minimum or (limit is not None and value >= limit):
        raise InvalidValueError(f"{owner} {name} must be {expected}, got {value!r}")
    return int(value)


def positive(values: np.ndarray) -> Optional[str]:
    """Value check: every element must be greater than zero."""
    return None if np.all(values > 0) else "must be greater than zero"


def non_negative(values: np.ndarray) -> Optional[str]:
    """Value check: every element must be zero or more."""
    return None if np.all(values >= 0) else "must not be negative"


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__}: {text}"


def normalise_value(value: Any, description: str, allow_none: bool = False,
                    allow_initializer: bool = True,
                    check: Optional[ValueCheck] = None) -> Any:
    """Turn what a user passed for a value into the uniform representation.

    Parameters
    ----------
    value
        Number, sequence of numbers, array, Initializer, registered initializer name or None.
    description
        What the value is, used in errors (e.g. ``"LeakyIntegrateFire tau_mem"``).
    allow_none
        Whether ``None`` is accepted (the parameter is optional).
    allow_initializer
        Whether initializers are accepted; values the engine transforms (time constants become
        decay factors) cannot be drawn by an initializer.
    check
        Optional check applied to constants and arrays (e.g. :func:`positive`).

    Returns
    -------
    A ``float``/``int``, a numeric :class:`numpy.ndarray`, an Initializer (copied) or ``None``.

    Raises
    ------
    TypeError
        When the value is none of the accepted kinds.
    ValueError
        When it is numeric but fails ``check``, is not finite, or is ragged.
    """
    if value is None:
        if allow_none:
            return None
        raise InvalidTypeError(
            f"{description} must be given (a number, an array or an Initializer), "
            f"got None")

    kinds = "a number, an array of numbers" + (" or an Initializer" if allow_initializer else "")
    if isinstance(value, (str, Initializer)):
        if not allow_initializer:
            raise InvalidTypeError(
                f"{description} must be {kinds}; it cannot be set by an initializer "
                f"because the engine transforms it, got {_describe(value)}")
        return get_object(value, Initializer, description, "initializer")

    # bool is a Number in Python, but True as a threshold is always a mistake
    if isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(f"{description} must be {kinds}, got {_describe(value)}")

    if isinstance(value, Number):
        array = np.asarray(value)
    elif isinstance(value, np.ndarray) or (isinstance(value, abc.Sequence)):
        try:
            array = np.asarray(value)
        except ValueError as exc:
            raise InvalidValueError(f"{description} array must be rectangular, got a ragged "
                                    f"{type(value).__name__} ({exc})") from None
        if array.dtype == object or not (np.issubdtype(array.dtype, np.number)):
            raise InvalidTypeError(f"{description} must be {kinds}, got an array of "
                                   f"{array.dtype} ({_describe(value)})")
    else:
        raise InvalidTypeError(f"{description} must be {kinds}, got {_describe(value)}")

    if np.issubdtype(array.dtype, np.complexfloating):
        raise InvalidTypeError(f"{description} must be real, got {_describe(value)}")
    if not np.all(np.isfinite(array)):
        raise InvalidValueError(f"{description} must be finite, got {_describe(value)}")
    if check is not None:
        problem = check(array)
        if problem is not None:
            raise InvalidValueError(f"{description} {problem}, got {_describe(value)}")

    # 0-d arrays and NumPy scalars become plain Python numbers so constants compare simply
    if array.ndim == 0:
        return array.item()
    return array


def check_value_shape(value: Any, shape: Tuple[int, ...], description: str,
                      expected_what: str = "the population's shape") -> None:
    """Check that an array value fits ``shape``; constants and initializers always fit.

    An array fits when its shape equals ``shape`` or the flattened ``(prod(shape),)``.

    Parameters
    ----------
    value
        Normalised value.
    shape
        Shape the array must have.
    description
        What the value is, used in errors (e.g. ``"Population 'hidden' LeakyIntegrateFire
        parameter 'v_thresh'"``).
    expected_what
        What ``shape`` is the shape of, used in errors.

    Raises
    ------
    ValueError
        When the array's shape fits neither form.
    """
    if not is_value_array(value):
        return
    shape = tuple(shape)
    flat = (int(np.prod(shape)),)
    if value.shape != shape and value.shape != flat:
        also = f" or {flat}" if flat != shape else ""
        raise InvalidValueError(
            f"{description} is an array of shape {value.shape}, expected "
            f"{shape}{also} ({expected_what}), a single number or an Initializer")


class ValueDescriptor:
    """Class attribute declaring one parameter or state value of a model.

    Assigning to the attribute normalises and validates the value (see
    :func:`normalise_value`); reading it returns the normalised value.

    Parameters
    ----------
    *genn_vars
        Engine variables/parameters this value becomes: a name (taken as is) or a
        ``(name, transform)`` pair where ``transform(value, dt)`` computes the engine value.
    allow_none
        Whether the parameter is optional (``None`` switches a feature off). mlGeNN's
        descriptors always accept ``None``, so this defaults to True; built-in models pass
        False for values they need.
    check
        Optional check of constants and arrays (e.g. :func:`positive`).
    """

    def __init__(self, *genn_vars: Union[str, Tuple[str, Transform]], allow_none: bool = True,
                 check: Optional[ValueCheck] = None):
        self.genn_transforms = [(g, None) if isinstance(g, str) else tuple(g) for g in genn_vars]
        self.allow_none = allow_none
        self.check = check
        self.name = None

    @property
    def has_transform(self) -> bool:
        """Whether any engine value is a transform of the user's value."""
        return any(t is not None for _, t in self.genn_transforms)

    @property
    def genn_names(self) -> Tuple[str, ...]:
        """Names of every engine value this value becomes."""
        return tuple(g for g, _ in self.genn_transforms)

    @property
    def untransformed_genn_names(self) -> Tuple[str, ...]:
        """Names of the engine values that equal the user's value (checkpoint keys)."""
        return tuple(g for g, t in self.genn_transforms if t is None)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: Optional[type] = None) -> Any:
        if instance is None:
            return self
        return getattr(instance, f"_{self.name}")

    def __set__(self, instance: Any, value: Any) -> None:
        normalised = normalise_value(value, f"{type(instance).__name__} {self.name}",
                                     allow_none=self.allow_none,
                                     allow_initializer=not self.has_transform,
                                     check=self.check)
        setattr(instance, f"_{self.name}", normalised)

    def get_transformed(self, instance: Any, dt: float) -> Dict[str, Any]:
        """Engine values of this value on ``instance``: ``{genn_name: value}``.

        Parameters
        ----------
        instance
            Object holding the value.
        dt
            Simulation timestep [ms], passed to transforms.
        """
        value = self.__get__(instance, type(instance))
        if value is None:
            return {}
        return {g: (value if t is None else t(value, dt)) for g, t in self.genn_transforms}


def get_value_descriptors(obj: Any) -> Dict[str, ValueDescriptor]:
    """Every :class:`ValueDescriptor` of ``obj``'s class (and bases), by attribute name."""
    found = {}
    for cls in reversed(type(obj).__mro__):
        for name, attr in vars(cls).items():
            if isinstance(attr, ValueDescriptor):
                found[name] = attr
    return found


def get_values(obj: Any, dt: Any, names: Any = None, vals: Optional[Dict[str, Any]] = None
               ) -> Dict[str, Any]:
    """Engine values of every value declared on ``obj``.

    Two forms: ``get_values(obj, dt, names=None)``, and mlGeNN's ``get_values(inst,
    name_types, dt, vals={})``, where ``name_types`` are a model dictionary's ``(name, type,
    ...)`` declarations and the result is ``vals`` updated with the values of those names.

    Parameters
    ----------
    obj
        Neuron, synapse or connectivity object.
    dt
        Simulation timestep [ms] (in mlGeNN's form: the name/type declarations).
    names
        If given, only these engine names are returned (in mlGeNN's form: ``dt``).
    vals
        mlGeNN's form only: values to start from (not modified).
    """
    if not isinstance(dt, Number):
        # mlGeNN's get_values(inst, name_types, dt, vals)
        name_types, dt = dt, names
        result = dict(vals or {})
        result.update(get_values(obj, dt, [d[0] for d in name_types]))
        return result
    wanted = None if names is None else set(names)
    values = {}
    for descriptor in get_value_descriptors(obj).values():
        for genn_name, value in descriptor.get_transformed(obj, dt).items():
            if wanted is None or genn_name in wanted:
                values[genn_name] = value
    return values


def set_values(obj: Any, values: Dict[str, Any]) -> Tuple[str, ...]:
    """Set values on ``obj`` from engine names, as stored in checkpoints.

    Only engine names that equal the user's value (no transform) can be set this way.

    Parameters
    ----------
    obj
        Neuron, synapse or connectivity object.
    values
        Mapping of engine name (e.g. ``"g"``, ``"Bias"``) to value.

    Returns
    -------
    The attribute names that were set.
    """
    by_genn_name = {}
    for name, descriptor in get_value_descriptors(obj).items():
        for genn_name in descriptor.untransformed_genn_names:
            by_genn_name[genn_name] = name
    changed = []
    for genn_name, value in values.items():
        name = by_genn_name.get(str(genn_name))
        if name is not None:
            setattr(obj, name, value)
            changed.append(name)
    return tuple(changed)


def check_values_shape(obj: Any, shape: Tuple[int, ...], owner: str,
                       expected_what: str = "the population's shape") -> None:
    """Check every array value declared on ``obj`` against ``shape``.

    Parameters
    ----------
    obj
        Neuron or synapse object.
    shape
        Shape the arrays must have.
    owner
        What ``obj`` belongs to, used in errors (e.g. ``"Population 'hidden'"``).
    expected_what
        What ``shape`` is the shape of, used in errors.
    """
    for name in get_value_descriptors(obj):
        check_value_shape(getattr(obj, name), shape,
                          f"{owner} {type(obj).__name__} parameter '{name}'", expected_what)


class NoGeNNVariableError(RuntimeError, ValueError):
    """The named attribute has no engine variable that holds its value unchanged (a
    ``RuntimeError``, as mlGeNN raises)."""


def get_genn_var_name(inst: Any, name: str) -> str:
    """The engine variable that holds ``inst``'s value ``name`` unchanged (mlGeNN's helper,
    used e.g. to record or checkpoint a neuron's ``v`` as GeNN's ``V``).

    Args:
        inst:   A neuron, synapse or connectivity object
        name:   Name of one of its :class:`ValueDescriptor` attributes

    Raises:
        NoGeNNVariableError: ``name`` is not a value descriptor of ``inst``'s class, or every
            engine value it becomes is a transform of it (e.g. ``tau_mem`` -> ``Alpha``)
    """
    descriptor = getattr(type(inst), name, None)
    if not isinstance(descriptor, ValueDescriptor):
        raise NoGeNNVariableError(f"'{name}' is not a value declared by {type(inst).__name__} "
                                  f"(a ValueDescriptor), got {type(descriptor).__name__}")
    names = descriptor.untransformed_genn_names
    if not names:
        raise NoGeNNVariableError(
            f"{type(inst).__name__}.{name} has no engine variable holding it unchanged: it "
            f"becomes {', '.join(descriptor.genn_names)} through transforms")
    return names[0]
