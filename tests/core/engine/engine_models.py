"""Shared models and a build helper for the engine tests."""
import numpy as np

from ml_genn.backends.cpu import CPUBackend
from ml_genn.engine import (VarAccess, create_neuron_model, create_postsynaptic_model,
                            create_weight_update_model)


def build(spec, num_recording_timesteps=None):
    """Build and load ``spec`` with the cpu backend."""
    return CPUBackend().build(spec).load(num_recording_timesteps=num_recording_timesteps)


# LIF: tau_m dV/dt = -V + R*Isyn (forward closed-form step), threshold + reset to 0.
LIF = create_neuron_model(
    "LIF", params=["tau_m", "v_thresh"], vars=[("V", "scalar")],
    derived_params=[("alpha", lambda p, dt: float(np.exp(-dt / p["tau_m"])))],
    sim_code="V = (alpha * V) + ((1.0 - alpha) * Isyn);",
    threshold_condition_code="V >= v_thresh", reset_code="V = 0.0;")

# Records the input it received this step; never spikes.
INPUT_PROBE = create_neuron_model("InputProbe", vars=[("x", "scalar")], sim_code="x = Isyn;")

# Spikes whenever its EGP-free 'spike' var is set from Python.
SPIKE_DRIVER = create_neuron_model("SpikeDriver", vars=[("s", "scalar")],
                                   threshold_condition_code="s > 0.5", reset_code="s = 0.0;")

STATIC_PULSE = create_weight_update_model("StaticPulse", vars=[("g", "scalar", VarAccess.READ_ONLY)],
                                          pre_spike_syn_code="addToPost(g);")
DELTA = create_postsynaptic_model("DeltaCurr", sim_code="injectCurrent(inSyn); inSyn = 0.0;")
