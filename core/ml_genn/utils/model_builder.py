"""Builders of engine models: what neurons, synapses, readouts, losses and optimisers hand to
compilers.

A builder collects a model's parameters, variables, extra global params and code fields with
their values, lets other parts (readouts, losses, compilers) add to them, and finally turns
them into the engine's model object plus the values ``ModelSpec.add_*`` needs. User values
are mapped uniformly: a constant becomes an engine *parameter*, an array or an initializer a
read-only per-element *variable* (so code refers to the same bare name either way).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..engine import (CustomUpdateVarAccess, VarAccess, VarAccessMode, create_custom_update_model,
                      create_neuron_model, create_postsynaptic_model, create_weight_update_model,
                      init_postsynaptic, init_var, init_weight_update)
from .value import is_value_array, is_value_constant, is_value_initializer


def engine_value(value: Any) -> Any:
    """A user value (constant, array, Initializer) as an engine initial value.

    Parameters
    ----------
    value
        Normalised value from :mod:`ml_genn.utils.value`.
    """
    if is_value_initializer(value):
        snippet = value.get_snippet()
        if snippet.snippet == "Kernel":
            # A shared kernel's values depend on the synapses' kernel indices: the compiler
            # resolves them from the connectivity snippet (utils.connectivity.KernelInit)
            return value
        if getattr(snippet, "egp_vals", None):
            raise NotImplementedError(
                f"{type(value).__name__}: var-init snippets with extra global parameters "
                f"({', '.join(snippet.egp_vals)}) are not supported by the engine yet; "
                f"pass the values as an array instead")
        return init_var(snippet.snippet, dict(snippet.param_vals))
    if is_value_array(value):
        return np.asarray(value).reshape(-1)
    return value


class ModelBuilder:
    """Parameters, variables, extra global params and code fields of one engine model.

    Parameters
    ----------
    class_name
        Name of the engine model (appears in generated-code error messages).
    code_fields
        Names of the code fields this kind of model has.
    """

    def __init__(self, class_name: str, code_fields: Tuple[str, ...]):
        self.class_name = class_name
        self.params: Dict[str, Tuple[str, Any]] = {}
        self.vars: Dict[str, Tuple[str, Any, Any]] = {}
        self.egps: Dict[str, Tuple[str, Any]] = {}
        self.dynamic_params: set = set()
        self.derived_params: List[Tuple[str, Any]] = []
        self.code: Dict[str, str] = {f: "" for f in code_fields}

    # ------------------------------------------------------------------ values
    def add_param(self, name: str, value: Any, type: str = "scalar", dynamic: bool = False) -> None:
        """Add a parameter with a constant value (``dynamic``: changeable at run time)."""
        self.params[name] = (type, value)
        if dynamic:
            self.dynamic_params.add(name)

    def add_var(self, name: str, init: Any, type: str = "scalar", access: Any = VarAccess.READ_WRITE) -> None:
        """Add a variable with its access mode and initial value (number, array or init_var)."""
        self.vars[name] = (type, access, init)

    def add_value(self, name: str, value: Any, type: str = "scalar",
                  access: Any = VarAccess.READ_ONLY) -> None:
        """Add a user value: a parameter when constant, a (read-only) variable otherwise."""
        if is_value_constant(value):
            self.add_param(name, value, type)
        else:
            self.add_var(name, engine_value(value), type, access)

    def add_egp(self, name: str, type: str, values: Any) -> None:
        """Add an extra global parameter with its initial contents."""
        self.egps[name] = (type, values)

    def has(self, name: str) -> bool:
        """Whether ``name`` is already a parameter, variable or extra global param."""
        return name in self.params or name in self.vars or name in self.egps

    # ------------------------------------------------------------------ code
    def append_code(self, field: str, code: str) -> None:
        """Append ``code`` to code field ``field``."""
        self.code[field] = (self.code[field] + "\n" + code) if self.code[field] else code

    def prepend_code(self, field: str, code: str) -> None:
        """Prepend ``code`` to code field ``field``."""
        self.code[field] = (code + "\n" + self.code[field]) if self.code[field] else code

    # ------------------------------------------------------------------ parts
    def _param_decls(self) -> List[Tuple[str, str]]:
        return [(n, t) for n, (t, _) in self.params.items()]

    def _param_values(self) -> Dict[str, Any]:
        return {n: v for n, (_, v) in self.params.items()}

    def _var_decls(self) -> List[Tuple[str, str, Any]]:
        return [(n, t, a) for n, (t, a, _) in self.vars.items()]

    def _var_values(self) -> Dict[str, Any]:
        return {n: v for n, (_, _, v) in self.vars.items()}

    def apply_to_group(self, group: Any) -> None:
        """Set dynamic params and extra global param contents on an added engine group."""
        for name in sorted(self.dynamic_params):
            group.set_param_dynamic(name)
        for name, (_, values) in self.egps.items():
            if values is not None:
                group.extra_global_params[name].set_init_values(values)


class NeuronModelBuilder(ModelBuilder):
    """Builder of an engine neuron model.

    Parameters
    ----------
    class_name
        Engine model name.
    output_var_name
        Variable readouts read (``None`` if the model has none).
    """

    def __init__(self, class_name: str, output_var_name: Optional[str] = None):
        super().__init__(class_name, ("sim_code", "threshold_condition_code", "reset_code"))
        self.output_var_name = output_var_name
        self.additional_input_vars: List[Tuple[str, str, float]] = []

    def build(self) -> Tuple[Any, Dict[str, Any], Dict[str, Any]]:
        """The engine model, its parameter values and its variable initial values."""
        model = create_neuron_model(
            self.class_name, params=self._param_decls(), vars=self._var_decls(),
            derived_params=self.derived_params, sim_code=self.code["sim_code"],
            threshold_condition_code=self.code["threshold_condition_code"] or None,
            reset_code=self.code["reset_code"],
            extra_global_params=[(n, t) for n, (t, _) in self.egps.items()],
            additional_input_vars=self.additional_input_vars)
        return model, self._param_values(), self._var_values()


class SynapseModelBuilder(ModelBuilder):
    """Builder of an engine postsynaptic model."""

    def __init__(self, class_name: str):
        super().__init__(class_name, ("sim_code",))
        self.neuron_var_refs: Dict[str, Tuple[str, Any, Any]] = {}

    def build(self) -> Any:
        """``init_postsynaptic(...)`` of the built model."""
        model = create_postsynaptic_model(
            self.class_name, params=self._param_decls(), vars=self._var_decls(),
            neuron_var_refs=[(n, t, m) for n, (t, m, _) in self.neuron_var_refs.items()],
            derived_params=self.derived_params, sim_code=self.code["sim_code"],
            extra_global_params=[(n, t) for n, (t, _) in self.egps.items()])
        return init_postsynaptic(model, self._param_values(), self._var_values(),
                                 {n: r for n, (_, _, r) in self.neuron_var_refs.items()})


class WeightUpdateModelBuilder(ModelBuilder):
    """Builder of an engine weight update model."""

    CODE_FIELDS = ("pre_spike_syn_code", "pre_event_syn_code", "post_spike_syn_code",
                   "synapse_dynamics_code", "pre_event_threshold_condition_code",
                   "pre_spike_code", "post_spike_code", "pre_dynamics_code", "post_dynamics_code")

    def __init__(self, class_name: str):
        super().__init__(class_name, self.CODE_FIELDS)
        self.pre_vars: Dict[str, Tuple[str, Any, Any]] = {}
        self.post_vars: Dict[str, Tuple[str, Any, Any]] = {}
        self.pre_neuron_var_refs: Dict[str, Tuple[str, Any, Any]] = {}
        self.post_neuron_var_refs: Dict[str, Tuple[str, Any, Any]] = {}

    def build(self) -> Any:
        """``init_weight_update(...)`` of the built model."""
        decl = lambda d: [(n, t, a) for n, (t, a, _) in d.items()]
        vals = lambda d: {n: v for n, (_, _, v) in d.items()}
        model = create_weight_update_model(
            self.class_name, params=self._param_decls(), vars=self._var_decls(),
            pre_vars=decl(self.pre_vars), post_vars=decl(self.post_vars),
            pre_neuron_var_refs=decl(self.pre_neuron_var_refs),
            post_neuron_var_refs=decl(self.post_neuron_var_refs),
            derived_params=self.derived_params, extra_global_params=[(n, t) for n, (t, _) in self.egps.items()],
            **{f: (c or None) for f, c in self.code.items()})
        return init_weight_update(model, self._param_values(), self._var_values(),
                                  vals(self.pre_vars), vals(self.post_vars),
                                  vals(self.pre_neuron_var_refs), vals(self.post_neuron_var_refs))


class CustomUpdateModelBuilder(ModelBuilder):
    """Builder of an engine custom update model."""

    def __init__(self, class_name: str):
        super().__init__(class_name, ("update_code",))
        self.var_refs: Dict[str, Tuple[str, Any, Any]] = {}
        #: ``(name, type)`` declarations of references to extra global parameters, and the
        #: ``create_egp_ref`` results by name
        self.egp_ref_decls: List[Tuple[str, str]] = []
        self.egp_refs: Dict[str, Any] = {}

    def add_var(self, name: str, init: Any, type: str = "scalar",
                access: Any = CustomUpdateVarAccess.READ_WRITE) -> None:
        """Add an own variable (custom updates use :class:`CustomUpdateVarAccess`)."""
        super().add_var(name, init, type, access)

    def add_value(self, name: str, value: Any, type: str = "scalar",
                  access: Any = CustomUpdateVarAccess.READ_ONLY) -> None:
        """Add a user value: a parameter when constant, a read-only variable otherwise."""
        super().add_value(name, value, type, access)

    def add_egp_ref(self, name: str, ref: Any, type: str) -> None:
        """Add a reference (``create_egp_ref``) to another group's extra global parameter."""
        self.egp_ref_decls.append((name, type))
        self.egp_refs[name] = ref

    def add_var_ref(self, name: str, ref: Any, type: str = "scalar",
                    mode: Any = VarAccessMode.READ_WRITE) -> None:
        """Add a reference to another group's variable."""
        self.var_refs[name] = (type, mode, ref)

    def add_to_model(self, model_spec: Any, cu_name: str, group_name: str) -> Any:
        """Create the engine model and add it to ``model_spec`` as a custom update."""
        model = create_custom_update_model(
            self.class_name, params=self._param_decls(), vars=self._var_decls(),
            var_refs=[(n, t, m) for n, (t, m, _) in self.var_refs.items()],
            derived_params=self.derived_params, update_code=self.code["update_code"],
            extra_global_params=[(n, t) for n, (t, _) in self.egps.items()],
            extra_global_param_refs=self.egp_ref_decls)
        group = model_spec.add_custom_update(cu_name, group_name, model, self._param_values(),
                                             self._var_values(),
                                             {n: r for n, (_, _, r) in self.var_refs.items()},
                                             dict(self.egp_refs))
        self.apply_to_group(group)
        return group


__all__ = ["engine_value", "ModelBuilder", "NeuronModelBuilder", "SynapseModelBuilder", "WeightUpdateModelBuilder",
           "CustomUpdateModelBuilder"]
