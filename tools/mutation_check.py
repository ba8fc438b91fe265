#!/usr/bin/env python3
"""Mutation check: plant known bugs in the engine, model and compiler code one at a time and
check that the tests meant to catch each one fail.

Every mutant below names one exact piece of source text (``old``, found exactly once in its
file), what replaces it (``new``) and the few tests that must fail with it. For each mutant the
tool copies the mutated file's package (``core/ml_genn``, ``ml_genn_eventprop/src/...``) into a
temporary folder once per run, edits the copy, runs ``python -m pytest -x -q <tests>`` with that
folder first on ``PYTHONPATH`` (after checking, in that very process, that the mutated module
resolves to the copy) and restores the copy. The checkout is never edited. A mutant is
*killed* when its tests fail and *survives* when they pass.

Before the mutants, a baseline runs every selected mutant's tests on the unmutated copies:
they must pass, or a "kill" would mean nothing.

Usage (from anywhere; the default repository is this file's parent folder)::

    python tools/mutation_check.py                 # everything (about 2 minutes on 2 cores)
    python tools/mutation_check.py --list          # the mutants, and whether each still applies
    python tools/mutation_check.py --only ep-input-grad-zero deepr-l1-sign
    python tools/mutation_check.py --json results.json

Exit status: 0 when every mutant marked ``must_kill`` was killed, 1 when one survived (or its
run failed in another way), 2 when the list is out of step with the code (an ``old`` text not
found exactly once, a test file or test function that does not exist) or the baseline fails.

The engine's build cache of a run lives in a temporary folder (``--cache-dir`` keeps one
between runs); nothing is written into the checkout (no bytecode, no pytest cache).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Package folders (relative to the repository) and the import names they provide
PACKAGES: Tuple[Tuple[str, str], ...] = (
    ("core/ml_genn", "ml_genn"),
    ("ml_genn_eventprop/src/ml_genn_eventprop", "ml_genn_eventprop"),
    ("ml_genn_eprop/src/ml_genn_eprop", "ml_genn_eprop"),
    ("ml_genn_recorders/src/ml_genn_recorders", "ml_genn_recorders"),
    ("plugins/training/src/ml_genn_training", "ml_genn_training"),
    ("plugins/genn/src/ml_genn_pygenn", "ml_genn_pygenn"),
)


@dataclass(frozen=True)
class Mutant:
    """One planted bug.

    Parameters
    ----------
    id
        Short unique name (``--only`` takes these).
    description
        What the bug is, in words.
    path
        File to mutate, relative to the repository.
    old, new
        Exact text to replace (must occur exactly once in ``path``) and its replacement.
    tests
        pytest node ids or paths (relative to the repository) that must fail; the cheapest
        that kills it first, since the run stops at the first failure.
    must_kill
        False for a mutant known to survive (``note`` says why); it does not fail the check.
    note
        Why it survives, or anything else worth knowing.
    requires
        A module the tests need (their skip condition), e.g. ``"pygenn"``; where the
        interpreter running the check cannot import it the mutant is reported ``not run``
        (its tests would be skipped, and a skipped test kills nothing).
    """
    id: str
    description: str
    path: str
    old: str
    new: str
    tests: Tuple[str, ...]
    must_kill: bool = True
    note: str = ""
    requires: str = ""


EP = "ml_genn_eventprop/src/ml_genn_eventprop/"
EP_MODELS = EP + "engine_models.py"
EP_ORACLES = "tests/ml_genn_eventprop/test_eventprop_gradient_oracles.py"
EP_ENGINE = "tests/ml_genn_eventprop/test_eventprop_engine_gradients.py"
EP_RELATIVE = EP_ENGINE + "::test_engine_equals_time_stepped_reference_with_a_relative_reset"
EP_FINE = EP_ORACLES + "::test_every_connection_matches_exact_finite_differences"
EP_DT05 = "[400steps-dt0.5-b2-ff-rel]"
EPROP = "ml_genn_eprop/src/ml_genn_eprop/"
EPROP_ORACLE = ("tests/ml_genn_eprop/test_eprop_oracle.py"
                "::test_weight_updates_equal_the_reference_in_double")
CLOSED_FORMS = "tests/core/models/test_model_closed_forms.py"
GENN_RUNTIME = "plugins/genn/src/ml_genn_pygenn/runtime.py"
SEPARATE, SEPARATE_ID = "tests/backends/", "[single_threaded_cpu_separate_host]"
DEEP_R = "tests/core/compilers/test_deep_r.py"
_V_POST = 'v_post = "(vSpike - (Vthresh - Vreset))" if relative_reset else "Vreset"'
_NO_CROSSING = 'no_crossing = "" if relative_reset else "LambdaV = 0.0;"'
_INPUT_GRAD = '        code = "Gradient += LambdaI_post;\\n"\n'

MUTANTS: Tuple[Mutant, ...] = (
    # ------------------------------------------------------------------ EventProp (issue 22)
    Mutant("ep-slope-abs-drop-vreset",
           "EventProp spike-time derivative: '- Vreset' dropped from the slope after an "
           "absolute reset (V+ taken as 0)",
           EP_MODELS, _V_POST, _V_POST.replace('else "Vreset"', 'else "0.0"'),
           (EP_FINE + "[ff-abs-per-timestep-b2]",)),
    Mutant("ep-slope-rel-drop-vreset",
           "EventProp spike-time derivative: '- Vreset' dropped from the slope after a relative "
           "reset (V+ = V - Vthresh)",
           EP_MODELS, _V_POST,
           _V_POST.replace("(vSpike - (Vthresh - Vreset))", "(vSpike - Vthresh)"),
           (EP_RELATIVE + "[recurrent-dt0.1]", EP_FINE + "[rec-rel-per-timestep-b1]")),
    Mutant("ep-reset-absolute-both",
           "EventProp LIF: a relative reset treated as absolute, forward and backward",
           EP_MODELS, '    name = "EventPropLIF" + ',
           '    relative_reset = False\n    name = "EventPropLIF" + ',
           (EP_RELATIVE + "[recurrent-dt0.1]",
            EP_ORACLES + "::test_forward_pass_and_loss_equal_the_numpy_model" + EP_DT05)),
    Mutant("ep-reset-absolute-forward",
           "EventProp LIF: a relative reset made absolute in the forward pass only",
           EP_MODELS,
           'model.code["reset_code"] = "V -= (Vthresh - Vreset);" if relative_reset else '
           '"V = Vreset;"',
           'model.code["reset_code"] = "V = Vreset;"',
           (EP_RELATIVE + "[recurrent-dt0.1]",
            EP_ORACLES + "::test_forward_pass_and_loss_equal_the_numpy_model" + EP_DT05)),
    Mutant("ep-reset-absolute-backward",
           "EventProp LIF: a relative reset treated as absolute in the backward pass only "
           "(slope after the reset from Vreset, and lambda_V absorbed at a spike whose V fell)",
           EP_MODELS,
           _V_POST + "\n    # A relative reset passes a perturbation of V straight through; an "
           "absolute one absorbs it\n    " + _NO_CROSSING,
           'v_post = "Vreset"\n    no_crossing = "LambdaV = 0.0;"',
           (EP_RELATIVE + "[recurrent-dt0.1]",),
           note="survived before the relative-reset case of the exact engine-vs-NumPy check: "
                "it moves the gradient only by each reset's overshoot, which vanishes as dt -> 0 "
                "and hides in dt = 1 ms's staircase"),
    Mutant("ep-reset-absolute-backward-slope",
           "EventProp LIF, relative reset: the slope after the reset taken from Vreset",
           EP_MODELS, _V_POST, 'v_post = "Vreset"',
           (EP_RELATIVE + "[recurrent-dt0.1]",)),
    Mutant("ep-reset-relative-absorbs",
           "EventProp LIF, relative reset: lambda_V absorbed (not passed through) at a spike "
           "whose V did not rise through the threshold",
           EP_MODELS, _NO_CROSSING, 'no_crossing = "LambdaV = 0.0;"',
           (EP_RELATIVE + "[bursts-dt1]",)),
    Mutant("ep-lif-decay-per-ms",
           "EventProp LIF membrane decay exp(-1 / tau_mem) instead of exp(-dt / tau_mem)",
           EP_MODELS,
           'model = NeuronModelBuilder(name, output_var_name="V")\n'
           '    model.add_param("Alpha", float(np.exp(-dt / tau_mem)))',
           'model = NeuronModelBuilder(name, output_var_name="V")\n'
           '    model.add_param("Alpha", float(np.exp(-1.0 / tau_mem)))',
           (EP_ORACLES + "::test_forward_pass_and_loss_equal_the_numpy_model" + EP_DT05,)),
    Mutant("ep-lif-costate-decay-per-ms",
           "EventProp LIF costate step with Beta = exp(-1 / tau_syn) (backward pass only)",
           EP_MODELS,
           '    model.add_param("Beta", float(np.exp(-dt / tau_syn)))\n    # The slope of V',
           '    model.add_param("Beta", float(np.exp(-1.0 / tau_syn)))\n    # The slope of V',
           (EP_FINE + "[ff-abs-per-timestep-b2]",)),
    Mutant("ep-li-decay-per-ms",
           "EventProp leaky-integrator output decay exp(-1 / tau_mem)",
           EP_MODELS,
           'model = NeuronModelBuilder(f"EventPropLI_{readout}")\n'
           '    model.add_param("Alpha", float(np.exp(-dt / tau_mem)))',
           'model = NeuronModelBuilder(f"EventPropLI_{readout}")\n'
           '    model.add_param("Alpha", float(np.exp(-1.0 / tau_mem)))',
           (EP_ORACLES + "::test_forward_pass_and_loss_equal_the_numpy_model" + EP_DT05,)),
    Mutant("ep-synapse-decay-per-ms",
           "EventProp exponential synapse decay exp(-1 / tau_syn)",
           EP_MODELS, "    beta = float(np.exp(-dt / tau_syn))\n    model = SynapseModelBuilder",
           "    beta = float(np.exp(-1.0 / tau_syn))\n    model = SynapseModelBuilder",
           (EP_ORACLES + "::test_forward_pass_and_loss_equal_the_numpy_model" + EP_DT05,)),
    Mutant("ep-synapse-scale",
           "EventProp exponential synapse without its tau_syn / dt scale",
           EP_MODELS, "float((tau_syn / dt) * (1.0 - beta))", "float(1.0 - beta)",
           (EP_ORACLES + "::test_forward_pass_and_loss_equal_the_numpy_model"
            "[100steps-b1-ff-abs]",)),
    Mutant("ep-input-grad-zero", "EventProp input -> hidden weight gradient zeroed",
           EP_MODELS, _INPUT_GRAD,
           '        code = "Gradient += LambdaI_post;\\n" if source_spiking_lif else '
           '"Gradient += 0.0 * LambdaI_post;\\n"\n',
           (EP_FINE + "[ff-abs-per-timestep-b2]",)),
    Mutant("ep-input-grad-negated", "EventProp input -> hidden weight gradient negated",
           EP_MODELS, _INPUT_GRAD,
           '        code = "Gradient += LambdaI_post;\\n" if source_spiking_lif else '
           '"Gradient -= LambdaI_post;\\n"\n',
           (EP_FINE + "[ff-abs-per-timestep-b2]",)),
    Mutant("ep-input-grad-doubled", "EventProp input -> hidden weight gradient doubled",
           EP_MODELS, _INPUT_GRAD,
           '        code = "Gradient += LambdaI_post;\\n" if source_spiking_lif else '
           '"Gradient += 2.0 * LambdaI_post;\\n"\n',
           (EP_FINE + "[ff-abs-per-timestep-b2]",)),
    Mutant("ep-phantom-slope",
           "EventProp first-spike loss: the phantom spike of a silent correct neuron gets a "
           "different slope",
           EP + "compiled_network.py", "current_ring[slot] = theta + 1.0",
           "current_ring[slot] = theta + 2.0",
           (EP_ORACLES + "::test_first_spike_time_gradients_follow_the_voltage_at_the_crossing",)),
    Mutant("ep-slope-at-threshold",
           "EventProp spike-time slope taken at the threshold, not at the V that crossed",
           EP_MODELS, "const scalar iMinusV = iSpike - vSpike;",
           "const scalar iMinusV = iSpike - Vthresh;",
           (EP_ORACLES + "::test_first_spike_time_gradients_follow_the_voltage_at_the_crossing",)),
    # ------------------------------------------------------------- core models (issue 22)
    Mutant("core-decay-per-ms", "core neurons' decay exp(-1 / tau) instead of exp(-dt / tau)",
           "core/ml_genn/neurons/decay.py", "return np.exp(-dt / tau)", "return np.exp(-1.0 / tau)",
           (CLOSED_FORMS + "::test_leaky_membranes_decay_by_elapsed_ms_after_delta_jumps[0.5]",)),
    Mutant("core-exponential-scale",
           "core Exponential synapse (scale_i) without its tau / dt scale",
           "core/ml_genn/synapses/exponential.py", "return (tau / dt) * (1.0 - np.exp(-dt / tau))",
           "return (1.0 - np.exp(-dt / tau))",
           (CLOSED_FORMS + "::test_exponential_synapse_current[0.5]",)),
    Mutant("core-lif-relative-reset-absolute",
           "core LIF: relative reset sets V = Vreset",
           "core/ml_genn/neurons/leaky_dynamics.py",
           'model.append_code("reset_code", "V -= (Vthresh - Vreset);")',
           'model.append_code("reset_code", "V = Vreset;")',
           (CLOSED_FORMS + "::test_lif_spikes_resets_and_refractoriness_in_ms[0.5]",)),
    Mutant("core-refractory-in-steps",
           "core LIF: refractory time counted down by 1 per step instead of dt",
           "core/ml_genn/neurons/leaky_dynamics.py", "RefracTime -= dt;", "RefracTime -= 1.0;",
           (CLOSED_FORMS + "::test_lif_spikes_resets_and_refractoriness_in_ms[0.5]",)),
    # ------------------------------------------------------------------- engine code generation
    Mutant("eng-dynamics-before-sim-code",
           "engine: weight update pre/post dynamics run before the neuron's sim_code (they "
           "must see this step's updated, not yet reset state)",
           "core/ml_genn/backends/cpu/codegen/neuron_update.py",
           "        if nm.sim_code:\n            # As in GeNN",
           # emitted before sim_code, and not again after it
           "        L += dynamics\n        dynamics = []\n"
           "        if nm.sim_code:\n            # As in GeNN",
           ("tests/core/engine/test_engine_synapse_features.py"
            "::test_pre_and_post_dynamics_see_this_steps_state_before_the_reset",)),
    Mutant("eng-dendritic-front-kept",
           "engine: a dendritic delay slot is not cleared after it is delivered",
           "core/ml_genn/backends/cpu/codegen/neuron_update.py",
           '{insyn} += *_front; *_front = 0; }}"', '{insyn} += *_front; }}"',
           ("tests/core/engine/test_engine_propagation.py",)),
    Mutant("eng-spike-time-off-by-one",
           "engine recording decoder: spike times of step n written as (n + 1) dt",
           "core/ml_genn/backends/cpu/c_support.py",
           "        const double time = (double)step * dt;",
           "        const double time = (double)(step + 1) * dt;",
           ("tests/ml_genn_recorders/test_recorders_spikes.py",)),
    # ------------------------------------------------------------------------------- e-prop
    Mutant("eprop-eligibility-decay",
           "e-prop (per synapse, LIF): the filtered eligibility trace does not decay",
           EPROP + "engine_models.py",
           "const scalar e = ZFilter * Psi;\neFiltered = (Alpha * eFiltered) + e;",
           "const scalar e = ZFilter * Psi;\neFiltered = eFiltered + e;",
           (EPROP_ORACLE + "[lif_feedforward-per_synapse]",)),
    Mutant("eprop-factorised-eligibility-decay",
           "e-prop (factorised): the filtered eligibility's end-of-batch decay is 1 step short",
           EPROP + "factorised.py",
           "decay = (alpha ** np.arange(steps - 1, -1, -1, dtype=np.float64))",
           "decay = (alpha ** np.arange(steps - 2, -2, -1, dtype=np.float64))",
           (EPROP_ORACLE + "[lif_feedforward-factorised]",)),
    Mutant("eprop-pseudo-derivative-factor",
           "e-prop (both forms share the formula): pseudo-derivative factor 0.5 instead of 0.3",
           EPROP + "engine_models.py",
           '    psi = (f"{target} = (1.0 / {term(v_thresh)}) * 0.3 * ',
           '    psi = (f"{target} = (1.0 / {term(v_thresh)}) * 0.5 * ',
           (EPROP_ORACLE + "[lif_feedforward-per_synapse]",
            EPROP_ORACLE + "[lif_feedforward-factorised]")),
    Mutant("eprop-regularisation-sign",
           "e-prop (per synapse, ALIF): firing-rate regularisation with the wrong sign",
           EPROP + "engine_models.py",
           "epsilonA = psiZ + ((Rho * epsA) - psiBetaEpsA);\neFiltered = (Alpha * eFiltered) + e;\n"
           "DeltaG += (eFiltered * E_post) + ((FAvg - FTarget) * CReg * e);",
           "epsilonA = psiZ + ((Rho * epsA) - psiBetaEpsA);\neFiltered = (Alpha * eFiltered) + e;\n"
           "DeltaG += (eFiltered * E_post) + ((FTarget - FAvg) * CReg * e);",
           (EPROP_ORACLE + "[alif_recurrent-per_synapse]",)),
    Mutant("eprop-factorised-regularisation-sign",
           "e-prop (factorised): the firing-rate target added instead of subtracted",
           EPROP + "compiled_network.py", "regulariser -= c.f_target * c.dt / 1000.0",
           "regulariser += c.f_target * c.dt / 1000.0",
           (EPROP_ORACLE + "[lif_feedforward-factorised]",)),
    # ------------------------------------------------------------------------------- Deep-R
    Mutant("deepr-l1-sign",
           "Deep-R: the L1 term pushes inhibitory weights' gradients the wrong way",
           "core/ml_genn/compilers/deep_r.py",
           "        Gradient -= C;\n", "        Gradient += C;\n",
           (DEEP_R + "::test_l1_then_learning_step_matches_numpy",)),
    Mutant("deepr-stage1-sign-test",
           "Deep-R stage 1: a synapse is removed when its sign matches its position's",
           "core/ml_genn/compilers/deep_r.py",
           "if ((g < 0.0) != inhibitory) {", "if ((g < 0.0) == inhibitory) {",
           (DEEP_R + "::test_rewiring_keeps_count_and_signs_and_counts_the_sign_changes",)),
    Mutant("deepr-row-capacity",
           "Deep-R: a row with exactly max_row_length synapses still takes one more",
           "core/ml_genn/compilers/deep_r.py",
           "fits = row_length[draws] + activations[draws] + rank < capacity",
           "fits = row_length[draws] + activations[draws] + rank <= capacity",
           (DEEP_R + "::test_spread_counts_failures_on_nearly_full_rows",
            DEEP_R + "::test_full_rows_give_failed_rewirings")),
    # ----------------------------------------------------------------------------- optimisers
    Mutant("adam-no-bias-correction",
           "Adam: the first moment's bias correction left out",
           "core/ml_genn/optimisers/adam.py",
           '"FirstMomentScale", 1.0 / (1.0 - self.beta1 ** (step + 1))',
           '"FirstMomentScale", 1.0',
           ("tests/core/compilers/test_training_loop.py"
            "::test_training_matches_numpy_reference_and_learns[optimiser0]",)),
    Mutant("adam-second-moment-unsquared",
           "Adam: the second moment accumulates g instead of g^2",
           "core/ml_genn/optimisers/adam.py",
           '"V = (Beta2 * V) + ((1.0 - Beta2) * grad * grad);\\n"',
           '"V = (Beta2 * V) + ((1.0 - Beta2) * fabs(grad));\\n"',
           ("tests/core/compilers/test_training_loop.py"
            "::test_training_matches_numpy_reference_and_learns[optimiser0]",)),
    # ---------------------------------------------------------------------------- checkpoints
    Mutant("ckpt-drop-pre-ind",
           "checkpoints: SPARSE connections saved without pre_ind",
           "core/ml_genn/compilers/compiled_network.py",
           '                    serialiser.serialise(keys + (conn, "pre_ind"), indices[0])\n',
           "",
           ("tests/e2e/test_deep_r_training.py"
            "::test_sparse_weights_and_synapses_round_trip_through_a_checkpoint",)),
    Mutant("ckpt-optimiser-step-reset",
           "checkpoints: the optimiser step saved as 0 (a resumed Adam restarts its bias "
           "correction)",
           "core/ml_genn/compilers/compiled_training_network.py",
           'np.array([self.optimiser_step], np.int64)', 'np.array([0], np.int64)',
           ("tests/core/compilers/test_training_loop.py"
            "::test_resume_from_checkpoint_in_new_process_is_bit_exact",)),
    # ------------------------------------------------------------------------------ recorders
    Mutant("rec-numpy-spike-time-off-by-one",
           "recorders (NumPy unpacking of a packed buffer): spike times one step late",
           "ml_genn_recorders/src/ml_genn_recorders/spike_recorder.py",
           "self._store_batch(offsets, steps[row] * float(genn_model.dt), ids)",
           "self._store_batch(offsets, (steps[row] + 1) * float(genn_model.dt), ids)",
           ("tests/ml_genn_recorders/test_recorders_spikes.py"
            "::test_portable_paths_give_same_data",)),
    # ------------------------------- GeNN backend: host/device transfers (GPU backends' own)
    Mutant("genn-no-push-before-run",
           "GeNN runtime: views written on the host are not pushed before the device runs",
           GENN_RUNTIME,
           "        if not self._separate_device:\n            return\n"
           "        for view in list(self._dirty):",
           "        if True:\n            return\n        for view in list(self._dirty):",
           (SEPARATE + "test_conformance.py::test_eventprop_float_training_matches_the_cpu_"
            "backend" + SEPARATE_ID,), requires="pygenn"),
    Mutant("genn-no-pull-after-run",
           "GeNN runtime: a view read after the device ran is not pulled first",
           GENN_RUNTIME, "        if rt._separate_device:\n            if self._stale:\n"
           "                self._pg.pull_from_device()",
           "        if rt._separate_device:\n            if False:\n"
           "                self._pg.pull_from_device()",
           (SEPARATE + "test_conformance.py::test_inference_readouts_and_spike_counts"
            + SEPARATE_ID,), requires="pygenn"),
    Mutant("genn-host-fresh-after-load",
           "GeNN runtime: host copies taken as current right after loading (GeNN initialised "
           "the model on the device)",
           GENN_RUNTIME, "        # GeNN initialised the model on the device: no host copy holds "
           "its values yet\n        self._after_device()\n", "",
           (SEPARATE + "test_conformance.py::test_inference_readouts_and_spike_counts"
            + SEPARATE_ID,), requires="pygenn"),
    Mutant("genn-egp-no-push",
           "GeNN runtime: extra global params set on the host are not pushed",
           GENN_RUNTIME, "            if self._host_only is None:\n"
           "                self._pg.push_to_device()\n        self._stale = False",
           "        self._stale = False",
           (SEPARATE + "test_genn_backend.py::test_array_inits_dynamic_params_and_resizable_"
            "egps" + SEPARATE_ID,), requires="pygenn"),
    Mutant("genn-array-inits-no-push",
           "GeNN runtime: array-valued initial values written on the host are not pushed",
           GENN_RUNTIME, "            _fill(array, v.init, positions, order)\n"
           "            view._pg.push_to_device()", "            _fill(array, v.init, positions, order)",
           (SEPARATE + "test_genn_backend.py::test_array_inits_dynamic_params_and_resizable_"
            "egps" + SEPARATE_ID,), requires="pygenn"),
    Mutant("genn-recordings-no-pull",
           "GeNN runtime: spike recordings read without pulling them from the device",
           GENN_RUNTIME, "        if self._separate_device and self._recordings_stale:",
           "        if False:",
           (SEPARATE + "test_genn_backend.py::test_in_flight_state_is_zeroed_and_spikes_are_"
            "recorded" + SEPARATE_ID,), requires="pygenn",
           note="the recorders pull the buffers themselves (pull_recording_buffers_from_device, "
                "as mlGeNN's do): the runtime's own reads are what this checks"),
    Mutant("genn-in-flight-no-push",
           "GeNN runtime: postsynaptic inputs and spike queues zeroed on the host only",
           GENN_RUNTIME, "            np.asarray(array.host_view).view(np.uint8)[...] = 0\n"
           "            array.push_to_device()",
           "            np.asarray(array.host_view).view(np.uint8)[...] = 0",
           (SEPARATE + "test_genn_backend.py::test_in_flight_state_is_zeroed_and_spikes_are_"
            "recorded" + SEPARATE_ID,), requires="pygenn"),
    Mutant("genn-connectivity-no-push",
           "GeNN runtime: synapses written from the host (a restored checkpoint's) are not "
           "pushed",
           GENN_RUNTIME, "        self._pg._row_lengths.push_to_device()\n"
           "        self._pg._ind.push_to_device()", "        pass",
           (SEPARATE + "test_custom_connectivity_conformance.py::test_deep_r_resumes_in_place_"
            "from_a_checkpoint_on_genn[eventprop-single_threaded_cpu_separate_host]",),
           requires="pygenn"),
    Mutant("genn-paused-recording-no-push",
           "GeNN runtime: spike recordings restored after a paused stretch on the host only",
           GENN_RUNTIME, "                np.asarray(array.host_view).view(np.uint8)[...] = copy\n"
           "                array.push_to_device()",
           "                np.asarray(array.host_view).view(np.uint8)[...] = copy",
           (SEPARATE + "test_conformance.py::test_eventprop_sgd_batch_one_matches_sequential_"
            "reference" + SEPARATE_ID,), requires="pygenn"),
    Mutant("genn-connectivity-not-stale",
           "GeNN runtime: sparse connectivity read on the host after a custom connectivity "
           "update rewired it on the device, without pulling it",
           GENN_RUNTIME, "        self._connectivity_stale = {}\n        self._recordings_stale = True",
           "        self._recordings_stale = True",
           (SEPARATE + "test_custom_connectivity_conformance.py::test_prune_and_grow_matches_"
            "numpy_and_the_cpu_backend" + SEPARATE_ID,), requires="pygenn"),
)


# ----------------------------------------------------------------------------- the checks
def package_of(path: str) -> Tuple[str, str]:
    """``(package folder, import name)`` of the package holding ``path`` (repository-relative).

    Parameters
    ----------
    path
        A file inside one of :data:`PACKAGES`.
    """
    for folder, name in PACKAGES:
        if path.startswith(folder + "/"):
            return folder, name
    raise ValueError(f"mutation_check: {path!r} lies in none of the packages "
                     f"{[f for f, _ in PACKAGES]}; add its package to PACKAGES")


def module_name(path: str) -> str:
    """The dotted module name of ``path`` (repository-relative, inside a package)."""
    folder, name = package_of(path)
    rest = os.path.splitext(path[len(folder) + 1:])[0].replace("/", ".")
    return name if rest == "__init__" else f"{name}.{rest.removesuffix('.__init__')}"


def _test_problem(repo: str, node: str) -> Optional[str]:
    """What is wrong with a test node id or path, or None."""
    file, _, rest = node.partition("::")
    full = os.path.join(repo, file)
    if not os.path.isfile(full):
        return f"test file {file} does not exist"
    if rest:
        function = rest.split("::")[-1].split("[")[0]
        with open(full, encoding="utf-8") as f:
            if not re.search(rf"^\s*def {re.escape(function)}\(", f.read(), re.M):
                return f"{file} has no test function {function}"
    return None


def check_mutants(mutants: Sequence[Mutant], repo: str = REPO) -> Dict[str, List[str]]:
    """Per mutant id, what keeps it from applying to the current code (empty: applies).

    Parameters
    ----------
    mutants
        The mutants to check.
    repo
        Repository root.
    """
    problems: Dict[str, List[str]] = {}
    seen = set()
    for m in mutants:
        found: List[str] = []
        if m.id in seen:
            found.append("duplicate id")
        seen.add(m.id)
        try:
            package_of(m.path)
        except ValueError as e:
            found.append(str(e))
        full = os.path.join(repo, m.path)
        if not os.path.isfile(full):
            found.append(f"{m.path} does not exist")
        else:
            with open(full, encoding="utf-8") as f:
                count = f.read().count(m.old)
            if count != 1:
                found.append(f"its old text occurs {count} times in {m.path}, not once: "
                             f"update the mutant to the current code")
        if m.old == m.new:
            found.append("old and new text are the same")
        if not m.tests:
            found.append("no tests")
        found += [p for p in (_test_problem(repo, t) for t in m.tests) if p]
        problems[m.id] = found
    return problems


def occurrences(m: Mutant, repo: str = REPO) -> int:
    """How often ``m.old`` occurs in its file (0 when the file is missing)."""
    full = os.path.join(repo, m.path)
    if not os.path.isfile(full):
        return 0
    with open(full, encoding="utf-8") as f:
        return f.read().count(m.old)


# ---------------------------------------------------------------------------- running them
#: Runs in the test subprocess: refuse to run pytest unless the mutated module is the copy's
_WRAPPER = r"""
import importlib.util, os, sys
module, expected = sys.argv[1], sys.argv[2]
spec = importlib.util.find_spec(module)
origin = os.path.realpath(spec.origin) if spec is not None and spec.origin else None
if origin != os.path.realpath(expected):
    sys.stderr.write(f"mutation_check: {module} resolves to {origin}, not to the copy "
                     f"{expected}: the mutant would not be tested\n")
    sys.exit(97)
try:
    # A mutant that is not even Python would "fail" every test that imports it lazily
    with open(expected, encoding="utf-8") as f:
        compile(f.read(), expected, "exec")
except SyntaxError as e:
    sys.stderr.write(f"mutation_check: the mutated {expected} is not valid Python: {e}\n")
    sys.exit(98)
import pytest
sys.exit(pytest.main(sys.argv[3:]))
"""
_NOT_THE_COPY, _NOT_PYTHON = 97, 98


@dataclass
class Outcome:
    """What running one mutant's tests gave."""
    id: str
    status: str              # killed, survived, timeout, error
    killed_by: str = ""
    reason: str = ""         # the first "E ..." line of the failing test's report
    seconds: float = 0.0
    must_kill: bool = True
    description: str = ""
    note: str = ""
    tests: List[str] = field(default_factory=list)
    output_tail: str = ""


def missing_requirement(m: "Mutant") -> str:
    """The module ``m`` requires that this interpreter cannot import ("" when none)."""
    import importlib.util
    if m.requires and importlib.util.find_spec(m.requires) is None:
        return m.requires
    return ""


def _run_pytest(repo: str, copy_root: str, module: str, expected_file: str,
                tests: Sequence[str], cache_dir: str, timeout: float,
                stop_first: bool = True) -> Tuple[Optional[int], str, float]:
    """``(pytest exit status or None on timeout, output, seconds)``."""
    env = dict(os.environ)
    inherited = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([copy_root] + inherited)
    # The copies are edited and restored within a second: no stale bytecode may be reused
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    args = [sys.executable, "-c", _WRAPPER, module, expected_file, "-q",
            "-o", f"cache_dir={cache_dir}", "-p", "no:randomly"]
    if stop_first:
        args.append("-x")
    args += list(tests)
    start = time.monotonic()
    try:
        r = subprocess.run(args, cwd=repo, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return None, out, time.monotonic() - start
    return r.returncode, r.stdout, time.monotonic() - start


def _first_reason(output: str) -> str:
    for line in output.splitlines():
        if line.startswith("E "):
            return line[1:].strip()[:200]
    return ""


def _first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" ", 1)[1].split(" - ", 1)[0].strip()
    return ""


class Workspace:
    """Temporary copies of the packages the mutants need, one per package per run."""

    def __init__(self, repo: str, root: str):
        self.repo, self.root = repo, root
        self.copies: Dict[str, str] = {}

    def copy_root(self, path: str) -> str:
        """The folder to put first on PYTHONPATH for a mutant of ``path`` (copied once)."""
        folder, name = package_of(path)
        if folder not in self.copies:
            root = os.path.join(self.root, name)
            shutil.copytree(os.path.join(self.repo, folder), os.path.join(root, name),
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            self.copies[folder] = root
        return self.copies[folder]

    def file(self, path: str) -> str:
        """Where the copy of ``path`` lies."""
        folder, name = package_of(path)
        return os.path.join(self.copy_root(path), name, path[len(folder) + 1:])


def run_mutant(m: Mutant, ws: Workspace, cache_dir: str, timeout: float) -> Outcome:
    """Apply ``m`` to its package's copy, run its tests, restore the copy.

    Parameters
    ----------
    m
        The mutant.
    ws
        The run's package copies.
    cache_dir
        pytest cache folder (holds the engine's build cache) shared by the run.
    timeout
        Seconds the tests may take.
    """
    target = ws.file(m.path)
    with open(target, encoding="utf-8") as f:
        original = f.read()
    if original.count(m.old) != 1:
        raise RuntimeError(f"mutant {m.id}: its old text occurs {original.count(m.old)} times "
                           f"in {m.path}, not once")
    outcome = Outcome(m.id, "error", must_kill=m.must_kill, description=m.description,
                      note=m.note, tests=list(m.tests))
    try:
        with open(target, "w", encoding="utf-8") as f:
            f.write(original.replace(m.old, m.new))
        module = module_name(m.path)
        rc, out, seconds = _run_pytest(ws.repo, ws.copy_root(m.path), module, target, m.tests,
                                       cache_dir, timeout)
    finally:
        with open(target, "w", encoding="utf-8") as f:
            f.write(original)
    outcome.seconds = round(seconds, 1)
    outcome.output_tail = out[-3000:]
    if rc == _NOT_THE_COPY:
        raise RuntimeError(f"mutant {m.id}: the tests would not import the mutated copy:\n{out}")
    if rc is None:
        outcome.status = "timeout"
    elif rc == 0:
        outcome.status = "survived"
    elif rc == 1:
        outcome.status, outcome.killed_by = "killed", _first_failure(out)
        outcome.reason = _first_reason(out)
    else:
        # 2: interrupted (e.g. an import error while collecting), 3-5: pytest's own troubles
        outcome.status = "error"
        outcome.killed_by = _first_failure(out)
    return outcome


def run_baseline(mutants: Sequence[Mutant], ws: Workspace, cache_dir: str,
                 timeout: float) -> Tuple[bool, str, float]:
    """Run every mutant's tests on the unmutated copies, per package: ``(passed, output,
    seconds)``."""
    by_package: Dict[str, List[Mutant]] = {}
    for m in mutants:
        by_package.setdefault(package_of(m.path)[0], []).append(m)
    total, outputs = 0.0, []
    for folder, group in by_package.items():
        tests: List[str] = []
        for m in group:
            tests += [t for t in m.tests if t not in tests]
        first = group[0]
        rc, out, seconds = _run_pytest(ws.repo, ws.copy_root(first.path),
                                       module_name(first.path), ws.file(first.path), tests,
                                       cache_dir, timeout, stop_first=False)
        total += seconds
        outputs.append(f"--- baseline of {folder} ({seconds:.0f} s)\n{out[-4000:]}")
        if rc != 0:
            return False, "\n".join(outputs), total
    return True, "\n".join(outputs), total


# --------------------------------------------------------------------------------- report
def _table(outcomes: Sequence[Outcome]) -> str:
    lines = ["| mutant | status | killed by | s |", "| --- | --- | --- | --- |"]
    for o in outcomes:
        status = o.status if o.must_kill or o.status != "survived" else "survived (expected)"
        lines.append(f"| `{o.id}` | {status} | `{o.killed_by}` | {o.seconds:.0f} |"
                     if o.killed_by else f"| `{o.id}` | {status} | | {o.seconds:.0f} |")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line entry point (see the module docstring).

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true",
                        help="list the mutants and whether each applies to the current code")
    parser.add_argument("--only", nargs="+", metavar="ID", help="run only these mutants")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the results (or, with --list, the list) as JSON to FILE "
                             "(default: standard output)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds one mutant's tests may take (default 600)")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="pytest cache folder to keep the engine builds in between runs "
                             "(default: a temporary one)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip running the tests on the unmutated code first")
    parser.add_argument("--repo", default=REPO, help="repository root (default: %(default)s)")
    args = parser.parse_args(argv)

    mutants = list(MUTANTS)
    if args.only:
        known = {m.id for m in mutants}
        unknown = [i for i in args.only if i not in known]
        if unknown:
            parser.error(f"unknown mutant id(s) {unknown}; --list shows them")
        mutants = [m for m in mutants if m.id in args.only]
    problems = check_mutants(mutants, args.repo)

    if args.list:
        rows = [dict(asdict(m), tests=list(m.tests), occurrences=occurrences(m, args.repo),
                     problems=problems[m.id]) for m in mutants]
        if args.json:
            _write_json(args.json, rows)
        else:
            for r in rows:
                state = "ok" if not r["problems"] else "; ".join(r["problems"])
                kill = "" if r["must_kill"] else "  [may survive]"
                print(f"{r['id']:42s} {r['path']}  ({state}){kill}\n    {r['description']}")
        return 2 if any(problems.values()) else 0

    broken = {k: v for k, v in problems.items() if v}
    if broken:
        for k, v in broken.items():
            print(f"mutation_check: mutant {k}: {'; '.join(v)}", file=sys.stderr)
        return 2

    not_run = [Outcome(m.id, "not run", must_kill=m.must_kill, description=m.description,
                       note=f"needs {missing_requirement(m)}, which {sys.executable} cannot "
                            f"import", tests=list(m.tests))
               for m in mutants if missing_requirement(m)]
    mutants = [m for m in mutants if not missing_requirement(m)]
    for o in not_run:
        print(f"not run   {o.id:42s} {o.note}", flush=True)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ml_genn_mutants_") as tmp:
        ws = Workspace(args.repo, tmp)
        cache_dir = args.cache_dir or os.path.join(tmp, "pytest_cache")
        baseline_seconds = 0.0
        if not args.no_baseline:
            print(f"baseline: the {len(mutants)} mutants' tests on the unmutated code ...",
                  flush=True)
            ok, out, baseline_seconds = run_baseline(mutants, ws, cache_dir, args.timeout * 4)
            if not ok:
                print(out, file=sys.stderr)
                print("mutation_check: the tests fail without any mutant; fix them first",
                      file=sys.stderr)
                return 2
            print(f"baseline passed in {baseline_seconds:.0f} s", flush=True)
        outcomes = []
        for m in mutants:
            o = run_mutant(m, ws, cache_dir, args.timeout)
            outcomes.append(o)
            print(f"{o.status:9s} {o.id:42s} {o.seconds:6.1f} s  {o.killed_by}", flush=True)
            if o.status == "error":
                print(o.output_tail, file=sys.stderr)
    total = time.monotonic() - start
    outcomes += not_run
    failed = [o for o in outcomes
              if o.must_kill and o.status not in ("killed", "timeout", "not run")]
    print()
    print(_table(outcomes))
    print(f"\n{sum(o.status == 'killed' for o in outcomes)} of {len(outcomes)} killed; "
          f"{total:.0f} s in all (baseline {baseline_seconds:.0f} s)")
    if failed:
        print(f"NOT killed (must be): {[o.id for o in failed]}", file=sys.stderr)
    if args.json:
        _write_json(args.json, dict(total_seconds=round(total, 1),
                                    baseline_seconds=round(baseline_seconds, 1),
                                    mutants=[asdict(o) for o in outcomes]))
    return 1 if failed else 0


def _write_json(target: str, data) -> None:
    text = json.dumps(data, indent=2)
    if target == "-":
        print(text)
    else:
        with open(target, "w", encoding="utf-8") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
