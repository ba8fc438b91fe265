"""Engine code shared by the leaky integrate-and-fire family of neurons."""
from __future__ import annotations

from typing import Any

from ..engine import VarAccess
from ..utils.model_builder import NeuronModelBuilder, engine_value
from ..utils.value import get_values


def add_lif_dynamics(neuron: Any, model: NeuronModelBuilder, dt: float, input_expr: str,
                     extra_threshold: str = "") -> None:
    """Add LIF membrane dynamics, threshold, reset and refractoriness to ``model``.

    Each timestep ``V = Alpha * V + I`` (``I`` scaled by ``1 - Alpha`` with ``scale_i``);
    the neuron spikes when ``V >= Vthresh + extra_threshold``, then ``V`` is reduced by
    ``Vthresh - Vreset`` (relative reset) or set to ``Vreset``. With a refractory period
    ``RefracTime`` counts down ``TauRefrac``; no spike is emitted while it is positive, and ``V``
    is held unless ``integrate_during_refrac``.

    Parameters
    ----------
    neuron
        LeakyIntegrateFire-like neuron object (values ``v``, ``v_thresh``, ``v_reset``,
        ``tau_mem``, ``tau_refrac`` and flags ``relative_reset``, ``integrate_during_refrac``,
        ``scale_i``).
    model
        Builder to add to.
    dt
        Simulation timestep [ms].
    input_expr
        Code expression of the input current (``Isyn`` or the input data).
    extra_threshold
        Code added to the threshold (e.g. ``+ (Beta * A)`` for adaptation).
    """
    values = get_values(neuron, dt)
    model.add_var("V", engine_value(neuron.v), "scalar", VarAccess.READ_WRITE)
    model.add_value("Vthresh", values["Vthresh"])
    model.add_value("Vreset", values["Vreset"])
    model.add_value("Alpha", values["Alpha"])
    scale_i = getattr(neuron, "scale_i", False)
    current = f"((1.0 - Alpha) * ({input_expr}))" if scale_i else f"({input_expr})"
    integrate = f"V = (Alpha * V) + {current};"
    refractory = neuron.tau_refrac is not None
    threshold = f"V >= (Vthresh{extra_threshold})"
    if refractory:
        model.add_value("TauRefrac", values["TauRefrac"])
        model.add_var("RefracTime", 0.0, "scalar", VarAccess.READ_WRITE)
        model.append_code("sim_code", "if (RefracTime > 0.0) { RefracTime -= dt; }")
        if neuron.integrate_during_refrac:
            model.append_code("sim_code", integrate)
        else:
            model.append_code("sim_code", f"if (RefracTime <= 0.0) {{ {integrate} }}")
        threshold = f"RefracTime <= 0.0 && {threshold}"
    else:
        model.append_code("sim_code", integrate)
    model.code["threshold_condition_code"] = threshold
    if neuron.relative_reset:
        model.append_code("reset_code", "V -= (Vthresh - Vreset);")
    else:
        model.append_code("reset_code", "V = Vreset;")
    if refractory:
        model.append_code("reset_code", "RefracTime = TauRefrac;")
