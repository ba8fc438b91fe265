"""mlGeNN's model-authoring layer (``ml_genn.utils.model``).

A custom neuron, synapse or compiler written for mlGeNN describes its engine model as a GeNN 5
model dictionary (``params``, ``vars``, ``extra_global_params``, code strings such as
``sim_code``) plus the values of its parameters, variables and extra global parameters::

    class Resonator(Neuron):
        def get_model(self, population, dt, batch_size):
            return NeuronModel({"params": [("Omega", "scalar")], "vars": [("V", "scalar")],
                                "sim_code": "...", ...}, "V", {"Omega": 0.1}, {"V": 0.0})

These classes hold exactly that, with mlGeNN's methods for amending it. Compilers turn them
into the engine's own builders (:mod:`ml_genn.utils.model_builder`) in one place,
:meth:`Model.to_builder`, where the mapping of values follows mlGeNN: a constant parameter
stays a parameter, an array- or initializer-valued one becomes a read-only variable.
"""
from __future__ import annotations

from copy import deepcopy
from numbers import Number
from textwrap import dedent
from typing import Any, Dict, MutableMapping, Optional, Sequence, Union

import numpy as np

from ..engine import CustomUpdateVarAccess, VarAccess, VarAccessMode
from ..errors import InvalidKeyError, InvalidValueError
from .model_builder import CustomUpdateModelBuilder
from .value import get_values, is_value_constant

EGPValue = Union[Number, Sequence[Number], np.ndarray]

#: Model dictionary keys each kind of model may hold
_NEURON_KEYS = {"params", "derived_params", "vars", "extra_global_params", "sim_code",
                "threshold_condition_code", "reset_code", "additional_input_vars",
                "support_code", "is_auto_refractory_required"}
_SYNAPSE_KEYS = {"params", "derived_params", "vars", "extra_global_params", "sim_code",
                 "neuron_var_refs", "support_code"}
_WEIGHT_UPDATE_KEYS = {"params", "derived_params", "vars", "pre_vars", "post_vars",
                       "extra_global_params", "pre_neuron_var_refs", "post_neuron_var_refs",
                       "pre_spike_syn_code", "pre_event_syn_code", "post_spike_syn_code",
                       "synapse_dynamics_code", "pre_event_threshold_condition_code",
                       "pre_spike_code", "post_spike_code", "pre_dynamics_code",
                       "post_dynamics_code", "support_code"}
# mlGeNN's add_egp_ref records references under "egp_refs"; GeNN 5's own key (which mlGeNN's
# compilers write in model dictionaries) is "extra_global_param_refs": both are accepted
_CUSTOM_UPDATE_KEYS = {"params", "derived_params", "vars", "var_refs", "egp_refs",
                       "extra_global_param_refs", "extra_global_params", "update_code",
                       "support_code"}
_EGP_REF_KEYS = ("extra_global_param_refs", "egp_refs")


class Model:
    """Base of mlGeNN's model descriptions: a GeNN 5 model dictionary and its values.

    Args:
        model:      The model dictionary (``params``, ``vars``, code strings, ...)
        param_vals: Parameter values by name (numbers, arrays or Initializers)
        var_vals:   Variable initial values by name
        egp_vals:   Extra global parameter contents by name
    """

    _keys: set = set()

    def __init__(self, model: MutableMapping[str, Any],
                 param_vals: Optional[MutableMapping[str, Any]] = None,
                 var_vals: Optional[MutableMapping[str, Any]] = None,
                 egp_vals: Optional[MutableMapping[str, EGPValue]] = None):
        self.model = model
        # Own copies: mlGeNN's shared mutable defaults let one model's values leak into
        # the next
        self.param_vals = dict(param_vals or {})
        self.dynamic_param_names = set()
        self.var_vals = dict(var_vals or {})
        self.egp_vals = dict(egp_vals or {})

    # ------------------------------------------------------------------ queries
    def has_param(self, name: str) -> bool:
        """Whether the model declares parameter ``name``."""
        return self._is_in_list("params", name)

    def has_var(self, name: str) -> bool:
        """Whether the model declares variable ``name``."""
        return self._is_in_list("vars", name)

    def has_egp(self, name: str) -> bool:
        """Whether the model declares extra global parameter ``name``."""
        return self._is_in_list("extra_global_params", name)

    # ------------------------------------------------------------------ amending
    def add_param(self, name: str, type: str, value: Any) -> None:
        """Declare parameter ``name`` of C type ``type`` with ``value``."""
        self._check_new("params", name)
        self._add_to_list("params", (name, type))
        self.param_vals[name] = value

    def add_var(self, name: str, type: str, value: Any,
                access_mode: Any = VarAccess.READ_WRITE) -> None:
        """Declare variable ``name`` with its initial ``value`` and access mode."""
        self._check_new("vars", name)
        self._add_to_list("vars", (name, type, access_mode))
        self.var_vals[name] = value

    def add_egp(self, name: str, type: str, value: EGPValue) -> None:
        """Declare extra global parameter ``name`` (e.g. of type ``"scalar*"``)."""
        self._check_new("extra_global_params", name)
        self._add_to_list("extra_global_params", (name, type))
        self.egp_vals[name] = value

    def set_param_dynamic(self, name: str, dynamic: bool = True) -> None:
        """Make parameter ``name`` changeable while the model runs (or not)."""
        if not self.has_param(name):
            raise InvalidKeyError(f"{self._describe()} has no parameter '{name}' to make "
                                  f"dynamic")
        if dynamic:
            self.dynamic_param_names.add(name)
        else:
            self.dynamic_param_names.discard(name)

    def set_var_access_mode(self, name: str, access_mode: Any) -> None:
        """Change variable ``name``'s access mode."""
        self._set_access_mode("vars", name, access_mode)

    def make_param_var(self, param_name: str, access_mode: Any = VarAccess.READ_ONLY) -> None:
        """Turn parameter ``param_name`` into a variable (with its value as initial value)."""
        if param_name in self.dynamic_param_names:
            raise InvalidValueError(f"{self._describe()}: dynamic parameter '{param_name}' "
                                    f"cannot become a variable")
        index, param = self._search_list("params", param_name)
        self.model["params"].pop(index)
        self._add_to_list("vars", tuple(param[:2]) + (access_mode,))
        self.var_vals[param_name] = self.param_vals.pop(param_name)

    @property
    def reset_vars(self) -> list:
        """``(name, type, initial value)`` of the variables a reset between batches restores
        (those a neuron or synapse may write)."""
        return self._get_reset_vars("vars", self.var_vals)

    def process(self) -> tuple:
        """mlGeNN's form of the model for pygenn: ``(model with array/initializer params
        moved to read-only vars, constant param values, dynamic param names, var values,
        egp values, var-init egp values)``."""
        model = deepcopy(self.model)
        params = model.pop("params", [])
        model.setdefault("vars", [])
        model["params"] = []
        constant, var_vals, var_egps = {}, dict(self.var_vals), {}
        for name, ptype in params:
            value = self.param_vals[name]
            if is_value_constant(value):
                model["params"].append((name, ptype))
                constant[name] = value
            else:
                model["vars"].append((name, ptype, VarAccess.READ_ONLY))
                var_vals[name] = value
        for name, value in var_vals.items():
            snippet = getattr(value, "get_snippet", None)
            if snippet is not None:
                var_egps[name] = dict(snippet().egp_vals)
        return model, constant, self.dynamic_param_names, var_vals, self.egp_vals, var_egps

    # ------------------------------------------------------------------ engine mapping
    def to_builder(self, class_name: str) -> Any:
        """The engine builder of this model (the one place mlGeNN models meet the engine).

        Args:
            class_name: Engine model name, used in compile errors (e.g. the neuron's class)
        """
        raise NotImplementedError(f"{type(self).__name__} cannot be built by the engine")

    def _fill_builder(self, builder: Any) -> Any:
        self._check_keys(builder.class_name)
        for name, ptype in self.model.get("params", []):
            if name not in self.param_vals:
                raise InvalidKeyError(f"{builder.class_name}: parameter '{name}' has no value "
                                      f"(param_vals has {sorted(self.param_vals)})")
            value = self.param_vals[name]
            if is_value_constant(value):
                builder.add_param(name, value, ptype, dynamic=name in self.dynamic_param_names)
            elif name in self.dynamic_param_names:
                raise InvalidValueError(f"{builder.class_name}: dynamic parameter '{name}' must "
                                        f"have a constant value, got {type(value).__name__}")
            else:
                builder.add_value(name, value, ptype)
        self._add_vars(builder, "vars", self.var_vals, builder.add_var)
        for name, etype in self.model.get("extra_global_params", []):
            builder.add_egp(name, etype, self.egp_vals.get(name))
        for name, value in self.model.get("derived_params", []):
            builder.derived_params.append((name, value))
        for field in builder.code:
            if self.model.get(field):
                builder.code[field] = dedent(self.model[field])
        return builder

    def _add_vars(self, builder: Any, key: str, values: Dict[str, Any], add: Any) -> None:
        from .model_builder import engine_value
        for decl in self.model.get(key, []):
            name, vtype = decl[0], decl[1]
            access = decl[2] if len(decl) > 2 else None
            if name not in values:
                raise InvalidKeyError(f"{self._describe()}: variable '{name}' ({key}) has no "
                                      f"initial value (values given for {sorted(values)})")
            value = values[name]
            value = engine_value(np.asarray(value) if isinstance(value, (list, tuple))
                                 else value)
            if access is None:
                add(name, value, vtype)
            else:
                add(name, value, vtype, access)

    def _check_keys(self, class_name: str) -> None:
        unknown = sorted(set(self.model) - self._keys)
        if unknown:
            raise InvalidKeyError(f"{class_name}: {type(self).__name__} dictionary has unknown "
                                  f"key(s) {unknown}; it may hold {sorted(self._keys)}")

    # ------------------------------------------------------------------ helpers
    def _describe(self) -> str:
        return type(self).__name__

    def _check_new(self, key: str, name: str) -> None:
        if self._is_in_list(key, name):
            raise InvalidValueError(f"{self._describe()} already declares '{name}' in {key}")

    def _search_list(self, key: str, name: str):
        matches = [(i, p) for i, p in enumerate(self.model.get(key, [])) if p[0] == name]
        if len(matches) != 1:
            raise InvalidKeyError(f"{self._describe()} has no '{name}' in {key}")
        return matches[0]

    def _add_to_list(self, key: str, value: Any) -> None:
        self.model.setdefault(key, []).append(value)

    def _is_in_list(self, key: str, name: str) -> bool:
        return any(p[0] == name for p in self.model.get(key, []))

    def _append_code(self, key: str, code: str) -> None:
        code = dedent(code)
        self.model[key] = f"{code}\n" if key not in self.model else self.model[key] + f"\n{code}\n"

    def _prepend_code(self, key: str, code: str) -> None:
        code = dedent(code)
        self.model[key] = f"{code}\n" + self.model.get(key, "")

    def _replace_code(self, key: str, source: str, target: str) -> None:
        if key in self.model:
            self.model[key] = self.model[key].replace(source, target)

    def _set_access_mode(self, key: str, name: str, access_mode: Any) -> None:
        index, decl = self._search_list(key, name)
        self.model[key][index] = tuple(decl[:2]) + (access_mode,)

    def _get_reset_vars(self, key: str, values: Dict[str, Any]) -> list:
        writable = (VarAccess.READ_WRITE, CustomUpdateVarAccess.READ_WRITE)
        return [(v[0], v[1], values[v[0]]) for v in self.model.get(key, [])
                if len(v) < 3 or v[2] in writable]


class NeuronModel(Model):
    """A neuron model: GeNN 5's ``sim_code``, ``threshold_condition_code`` and ``reset_code``
    over its parameters and variables, with ``Isyn`` the summed synaptic input.

    Args:
        model:              The model dictionary
        output_var_name:    Variable readouts read (``None`` if none)
        param_vals:         Parameter values
        var_vals:           Variable initial values
        egp_vals:           Extra global parameter contents
    """

    _keys = _NEURON_KEYS

    def __init__(self, model: MutableMapping[str, Any], output_var_name: Optional[str],
                 param_vals: Optional[MutableMapping[str, Any]] = None,
                 var_vals: Optional[MutableMapping[str, Any]] = None,
                 egp_vals: Optional[MutableMapping[str, EGPValue]] = None):
        super().__init__(model, param_vals, var_vals, egp_vals)
        self.output_var_name = output_var_name

    def add_additional_input_var(self, name: str, type: str, init_val: float) -> None:
        """Declare an additional input variable (summed like ``Isyn``, reset every step)."""
        self._add_to_list("additional_input_vars", (name, type, init_val))

    def append_sim_code(self, code: str) -> None:
        self._append_code("sim_code", code)

    def prepend_sim_code(self, code: str) -> None:
        self._prepend_code("sim_code", code)

    def append_reset_code(self, code: str) -> None:
        self._append_code("reset_code", code)

    def prepend_reset_code(self, code: str) -> None:
        self._prepend_code("reset_code", code)

    def replace_sim_code(self, source: str, target: str) -> None:
        self._replace_code("sim_code", source, target)

    def replace_threshold_condition_code(self, source: str, target: str) -> None:
        self._replace_code("threshold_condition_code", source, target)

    def replace_reset_code(self, source: str, target: str) -> None:
        self._replace_code("reset_code", source, target)

    @staticmethod
    def from_val_descriptors(model: MutableMapping[str, Any], output_var_name: Optional[str],
                             inst: Any, dt: float, param_vals: Optional[dict] = None,
                             var_vals: Optional[dict] = None,
                             egp_vals: Optional[dict] = None) -> "NeuronModel":
        """A neuron model whose parameter and variable values come from ``inst``'s
        :class:`~ml_genn.utils.value.ValueDescriptor` attributes (transformed for ``dt``),
        with ``param_vals``/``var_vals`` for the rest."""
        return NeuronModel(model, output_var_name,
                           get_values(inst, model.get("params", []), dt, dict(param_vals or {})),
                           get_values(inst, model.get("vars", []), dt, dict(var_vals or {})),
                           egp_vals)

    @property
    def output_var(self) -> tuple:
        """The declaration of the output variable."""
        if "vars" not in self.model:
            raise InvalidValueError("NeuronModel has no state variables")
        if self.output_var_name is None:
            raise InvalidValueError("NeuronModel has no output variable name")
        return self._search_list("vars", self.output_var_name)[1]

    @staticmethod
    def from_builder(builder: Any) -> "NeuronModel":
        """An engine :class:`~ml_genn.utils.model_builder.NeuronModelBuilder`'s contents as
        an mlGeNN neuron model (for code written against mlGeNN's API, e.g. readouts)."""
        model = {"params": [(n, t) for n, (t, _) in builder.params.items()],
                 "vars": [(n, t, a) for n, (t, a, _) in builder.vars.items()],
                 "extra_global_params": [(n, t) for n, (t, _) in builder.egps.items()]}
        if builder.derived_params:
            model["derived_params"] = list(builder.derived_params)
        if builder.additional_input_vars:
            model["additional_input_vars"] = list(builder.additional_input_vars)
        for field, code in builder.code.items():
            if code:
                model[field] = code
        neuron_model = NeuronModel(model, builder.output_var_name,
                                   {n: v for n, (_, v) in builder.params.items()},
                                   {n: v for n, (_, _, v) in builder.vars.items()},
                                   {n: v for n, (_, v) in builder.egps.items()})
        neuron_model.dynamic_param_names = set(builder.dynamic_params)
        return neuron_model

    def to_builder(self, class_name: str) -> Any:
        from .model_builder import NeuronModelBuilder
        builder = NeuronModelBuilder(class_name, self.output_var_name)
        self._fill_builder(builder)
        builder.additional_input_vars = [tuple(v) for v in
                                          self.model.get("additional_input_vars", [])]
        return builder


class SynapseModel(Model):
    """A postsynaptic model: GeNN 5's ``sim_code`` turning ``inSyn`` into current with
    ``injectCurrent(...)``.

    Args:
        model:              The model dictionary
        param_vals:         Parameter values
        var_vals:           Variable initial values
        egp_vals:           Extra global parameter contents
        neuron_var_refs:    Postsynaptic neuron variables referenced, by name
    """

    _keys = _SYNAPSE_KEYS

    def __init__(self, model: MutableMapping[str, Any],
                 param_vals: Optional[MutableMapping[str, Any]] = None,
                 var_vals: Optional[MutableMapping[str, Any]] = None,
                 egp_vals: Optional[MutableMapping[str, EGPValue]] = None,
                 neuron_var_refs: Optional[MutableMapping[str, Any]] = None):
        super().__init__(model, param_vals, var_vals, egp_vals)
        self.neuron_var_refs = dict(neuron_var_refs or {})

    def process(self) -> tuple:
        return super().process() + (self.neuron_var_refs,)

    @staticmethod
    def from_val_descriptors(model: MutableMapping[str, Any], inst: Any, dt: float,
                             param_vals: Optional[dict] = None, var_vals: Optional[dict] = None,
                             egp_vals: Optional[dict] = None,
                             neuron_var_refs: Optional[dict] = None) -> "SynapseModel":
        """A postsynaptic model with values from ``inst``'s value descriptors."""
        return SynapseModel(model,
                            get_values(inst, model.get("params", []), dt, dict(param_vals or {})),
                            get_values(inst, model.get("vars", []), dt, dict(var_vals or {})),
                            egp_vals, neuron_var_refs)

    def to_builder(self, class_name: str) -> Any:
        from .model_builder import SynapseModelBuilder
        builder = SynapseModelBuilder(class_name)
        self._fill_builder(builder)
        for decl in self.model.get("neuron_var_refs", []):
            name, vtype = decl[0], decl[1]
            mode = decl[2] if len(decl) > 2 else VarAccessMode.READ_WRITE
            builder.neuron_var_refs[name] = (vtype, mode, self.neuron_var_refs.get(name))
        return builder


class WeightUpdateModel(Model):
    """A weight update model: GeNN 5's synapse code strings over per-synapse, presynaptic and
    postsynaptic variables.

    Args:
        model:                  The model dictionary
        param_vals:             Parameter values
        var_vals:               Per-synapse variable initial values
        pre_var_vals:           Presynaptic variable initial values
        post_var_vals:          Postsynaptic variable initial values
        egp_vals:               Extra global parameter contents
        pre_neuron_var_refs:    Presynaptic neuron variables referenced, by name
        post_neuron_var_refs:   Postsynaptic neuron variables referenced, by name
    """

    _keys = _WEIGHT_UPDATE_KEYS

    def __init__(self, model: MutableMapping[str, Any],
                 param_vals: Optional[MutableMapping[str, Any]] = None,
                 var_vals: Optional[MutableMapping[str, Any]] = None,
                 pre_var_vals: Optional[MutableMapping[str, Any]] = None,
                 post_var_vals: Optional[MutableMapping[str, Any]] = None,
                 egp_vals: Optional[MutableMapping[str, EGPValue]] = None,
                 pre_neuron_var_refs: Optional[MutableMapping[str, Any]] = None,
                 post_neuron_var_refs: Optional[MutableMapping[str, Any]] = None):
        super().__init__(model, param_vals, var_vals, egp_vals)
        self.pre_var_vals = dict(pre_var_vals or {})
        self.post_var_vals = dict(post_var_vals or {})
        self.pre_neuron_var_refs = dict(pre_neuron_var_refs or {})
        self.post_neuron_var_refs = dict(post_neuron_var_refs or {})

    def add_pre_neuron_var_ref(self, name: str, type: str, target: Any) -> None:
        self._add_to_list("pre_neuron_var_refs", (name, type))
        self.pre_neuron_var_refs[name] = target

    def add_post_neuron_var_ref(self, name: str, type: str, target: Any) -> None:
        self._add_to_list("post_neuron_var_refs", (name, type))
        self.post_neuron_var_refs[name] = target

    def append_synapse_dynamics(self, code: str) -> None:
        self._append_code("synapse_dynamics_code", code)

    def append_pre_spike_syn_code(self, code: str) -> None:
        self._append_code("pre_spike_syn_code", code)

    def append_pre_event_syn_code(self, code: str) -> None:
        self._append_code("pre_event_syn_code", code)

    def process(self) -> tuple:
        return super().process() + (self.pre_var_vals, self.post_var_vals,
                                    self.pre_neuron_var_refs, self.post_neuron_var_refs)

    @property
    def reset_pre_vars(self) -> list:
        return self._get_reset_vars("pre_vars", self.pre_var_vals)

    @property
    def reset_post_vars(self) -> list:
        return self._get_reset_vars("post_vars", self.post_var_vals)

    def to_builder(self, class_name: str) -> Any:
        from .model_builder import WeightUpdateModelBuilder
        builder = WeightUpdateModelBuilder(class_name)
        self._fill_builder(builder)
        for key, values, target in (("pre_vars", self.pre_var_vals, builder.pre_vars),
                                    ("post_vars", self.post_var_vals, builder.post_vars)):
            self._add_vars(builder, key, values,
                           lambda n, v, t, a=VarAccess.READ_WRITE, target=target:
                           target.__setitem__(n, (t, a, v)))
        for key, refs, target in (("pre_neuron_var_refs", self.pre_neuron_var_refs,
                                   builder.pre_neuron_var_refs),
                                  ("post_neuron_var_refs", self.post_neuron_var_refs,
                                   builder.post_neuron_var_refs)):
            for decl in self.model.get(key, []):
                mode = decl[2] if len(decl) > 2 else VarAccessMode.READ_WRITE
                target[decl[0]] = (decl[1], mode, refs.get(decl[0]))
        return builder


class CustomUpdateModel(Model):
    """A custom update model: GeNN 5's ``update_code`` over its variables and references.

    Args:
        model:      The model dictionary
        param_vals: Parameter values
        var_vals:   Variable initial values
        var_refs:   Referenced variables, by name
        egp_vals:   Extra global parameter contents
        egp_refs:   Referenced extra global parameters, by name
    """

    _keys = _CUSTOM_UPDATE_KEYS

    def __init__(self, model: MutableMapping[str, Any],
                 param_vals: Optional[MutableMapping[str, Any]] = None,
                 var_vals: Optional[MutableMapping[str, Any]] = None,
                 var_refs: Optional[MutableMapping[str, Any]] = None,
                 egp_vals: Optional[MutableMapping[str, EGPValue]] = None,
                 egp_refs: Optional[MutableMapping[str, Any]] = None):
        super().__init__(model, param_vals, var_vals, egp_vals)
        self.var_refs = dict(var_refs or {})
        self.egp_refs = dict(egp_refs or {})

    def has_var_ref(self, name: str) -> bool:
        return self._is_in_list("var_refs", name)

    def has_egp_ref(self, name: str) -> bool:
        """Whether the model declares a reference ``name`` to an extra global parameter."""
        return any(self._is_in_list(key, name) for key in _EGP_REF_KEYS)

    def add_var_ref(self, name: str, type: str, value: Any) -> None:
        self._check_new("var_refs", name)
        self._add_to_list("var_refs", (name, type))
        self.var_refs[name] = value

    def set_var_ref_access_mode(self, name: str, access_mode: Any) -> None:
        self._set_access_mode("var_refs", name, access_mode)

    def add_egp_ref(self, name: str, type: str, value: Any) -> None:
        """Declare a reference ``name`` of C type ``type`` (e.g. ``"scalar*"``) to the extra
        global parameter ``value`` (a ``create_egp_ref`` result)."""
        for key in _EGP_REF_KEYS:
            self._check_new(key, name)
        self._add_to_list("egp_refs", (name, type))
        self.egp_refs[name] = value

    def append_update_code(self, code: str) -> None:
        self._append_code("update_code", code)

    def process(self) -> tuple:
        return super().process() + (self.var_refs, self.egp_refs)

    def to_builder(self, class_name: str) -> Any:
        builder = CustomUpdateModelBuilder(class_name)
        self._fill_builder(builder)
        for decl in self.model.get("var_refs", []):
            mode = decl[2] if len(decl) > 2 else VarAccessMode.READ_WRITE
            builder.var_refs[decl[0]] = (decl[1], mode, self.var_refs.get(decl[0]))
        for key in _EGP_REF_KEYS:
            for name, etype in self.model.get(key, []):
                if name not in self.egp_refs:
                    raise InvalidKeyError(f"{class_name}: extra global param ref '{name}' has no "
                                          f"reference (egp_refs has {sorted(self.egp_refs)}); "
                                          f"give it create_egp_ref(group, egp_name)")
                builder.add_egp_ref(name, self.egp_refs[name], etype)
        # Undeclared references travel too, so the engine reports them instead of dropping them
        builder.egp_refs.update(self.egp_refs)
        return builder


class CustomConnectivityUpdateModel(Model):
    """A custom connectivity update model: GeNN 5's ``row_update_code`` over the rows of a
    SPARSE connection (added with ``Compiler.add_custom_connectivity_update``).

    Args:
        model:          The model dictionary
        param_vals:     Parameter values
        var_vals:       Per-synapse variable initial values
        pre_var_vals:   Presynaptic variable initial values
        post_var_vals:  Postsynaptic variable initial values
        var_refs:       Referenced synapse variables
        pre_var_refs:   Referenced presynaptic variables
        post_var_refs:  Referenced postsynaptic variables
        egp_vals:       Extra global parameter contents
        egp_refs:       Referenced extra global parameters
    """

    def __init__(self, model: MutableMapping[str, Any],
                 param_vals: Optional[MutableMapping[str, Any]] = None,
                 var_vals: Optional[MutableMapping[str, Any]] = None,
                 pre_var_vals: Optional[MutableMapping[str, Any]] = None,
                 post_var_vals: Optional[MutableMapping[str, Any]] = None,
                 var_refs: Optional[MutableMapping[str, Any]] = None,
                 pre_var_refs: Optional[MutableMapping[str, Any]] = None,
                 post_var_refs: Optional[MutableMapping[str, Any]] = None,
                 egp_vals: Optional[MutableMapping[str, EGPValue]] = None,
                 egp_refs: Optional[MutableMapping[str, Any]] = None):
        super().__init__(model, param_vals, var_vals, egp_vals)
        self.pre_var_vals = dict(pre_var_vals or {})
        self.post_var_vals = dict(post_var_vals or {})
        self.var_refs = dict(var_refs or {})
        self.pre_var_refs = dict(pre_var_refs or {})
        self.post_var_refs = dict(post_var_refs or {})
        self.egp_refs = dict(egp_refs or {})

    def process(self) -> tuple:
        return super().process() + (self.pre_var_vals, self.post_var_vals, self.var_refs,
                                    self.pre_var_refs, self.post_var_refs, self.egp_refs)


def as_builder(model: Any, class_name: str) -> Any:
    """``model`` as an engine builder: mlGeNN-layer models are converted, builders pass
    through."""
    return model.to_builder(class_name) if isinstance(model, Model) else model


__all__ = ["CustomConnectivityUpdateModel", "CustomUpdateModel", "CustomUpdateVarAccess",
           "Model", "NeuronModel", "SynapseModel", "VarAccess", "VarAccessMode",
           "WeightUpdateModel", "as_builder"]
