"""What the backend conformance tests share: the backends to run on (with the reason a GeNN
backend is skipped), tiny networks and their NumPy reference (``reference_discrete`` of the
EventProp tests: the engine's time-stepped scheme in float64)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ml_genn_eventprop"))

import reference as R  # noqa: E402
import reference_discrete as D  # noqa: E402,F401 - re-exported
from half_step_spikes import half_step_spike_data  # noqa: E402


#: ml_genn's names of GeNN's backends, and the GeNN backend module each needs
GENN_BACKENDS = {"single_threaded_cpu": "single_threaded_cpu", "cuda": "cuda", "hip": "hip"}

DT, STEPS = 0.5, 40
TAU_MEM, TAU_SYN = 10.0, 5.0


def genn_skip_reason(genn_backend: str) -> Optional[str]:
    """Why GeNN backend ``genn_backend`` cannot run here (None when it can)."""
    try:
        from ml_genn_pygenn.probe import unavailable_reason
    except ImportError:
        return ("ml-genn-pygenn not installed: 'pip install ./plugins/genn' next to a pygenn "
                "built from GeNN's source, see "
                "https://genn-team.github.io/genn/documentation/5/installation.html")
    return unavailable_reason(genn_backend)


#: GeNN's single-threaded CPU backend with host copies kept apart from the memory its code
#: runs on, so that every transfer a GPU needs is checked without one (``device_emulation``)
SEPARATE_HOST = "single_threaded_cpu_separate_host"


def backend_params() -> List:
    """``"cpu"`` always, then each GeNN backend, skipped with the reason where unavailable,
    then :data:`SEPARATE_HOST` (where the single-threaded CPU backend is available)."""
    params = [pytest.param("cpu", id="cpu")]
    for name, module in list(GENN_BACKENDS.items()) + [(SEPARATE_HOST, "single_threaded_cpu")]:
        reason = genn_skip_reason(module)
        params.append(pytest.param(name, id=name, marks=pytest.mark.skipif(
            reason is not None, reason=f"GeNN backend '{name}': {reason}")))
    return params


def is_genn(backend: str) -> bool:
    return backend != "cpu"


def spike_data(rng: np.random.Generator, num_examples: int, num_inputs: int,
               per_input: int = 3, t_max: float = 12.0):
    """Spike trains for ``SpikeInput`` and the same spikes as the reference takes them (see
    ``half_step_spike_data`` of the EventProp tests)."""
    return half_step_spike_data(rng, num_examples, num_inputs, DT, per_input, t_max)


def reference_net(weights) -> "R.Net":
    """The reference of input -> LIF hidden -> leaky-integrator output (exponential synapses)."""
    n_in, n_hid = weights[0].shape
    n_out = weights[1].shape[1]
    return R.Net([R.Pop(n_in, "input"), R.Pop(n_hid, "lif", TAU_MEM, TAU_SYN),
                  R.Pop(n_out, "li", TAU_MEM, TAU_SYN)],
                 [R.Conn(0, 1, weights[0]), R.Conn(1, 2, weights[1])], STEPS * DT, DT)


def build_network(weights, record_spikes=False):
    """The ml_genn network :func:`reference_net` describes; returns (net, inp, hid, out).

    Built with EventProp's ``default_params`` (input currents scaled by ``1 - alpha``, as the
    reference integrates them) for every compiler."""
    from ml_genn import Connection, Network, Population
    from ml_genn.compilers.event_prop_compiler import default_params
    from ml_genn.connectivity import Dense
    from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
    from ml_genn.synapses import Exponential
    net = Network(default_params)
    with net:
        inp = Population(SpikeInput(max_spikes=64), weights[0].shape[0], name="input")
        hid = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=TAU_MEM), weights[0].shape[1],
                         name="hidden", record_spikes=record_spikes)
        out = Population(LeakyIntegrate(tau_mem=TAU_MEM, readout="avg_var"), weights[1].shape[1],
                         name="output")
        Connection(inp, hid, Dense(np.array(weights[0])), Exponential(TAU_SYN), name="in_hid")
        Connection(hid, out, Dense(np.array(weights[1])), Exponential(TAU_SYN), name="hid_out")
    return net, inp, hid, out


def load_engine_model(backend: str, spec, num_recording_timesteps: Optional[int] = None):
    """Build engine ``spec`` with the backend registered as ``backend`` and load it.

    Parameters
    ----------
    backend
        A registered backend name (``"cpu"``, ``"single_threaded_cpu"``, ...).
    spec
        The :class:`ml_genn.engine.ModelSpec`.
    num_recording_timesteps
        Length of the spike recording buffers (None: no recording).
    """
    from ml_genn.plugins.manager import get_registry
    backend_class = get_registry().kind("backend").get(backend)
    return backend_class().build(spec).load(num_recording_timesteps=num_recording_timesteps)
