"""Plots from cb_data, spike-like events on a hand-built model, and the bit unpacking."""
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_genn import Network, Population
from ml_genn.backends.cpu import CPUBackend
from ml_genn.callbacks import CallbackList, SpikeRecorder, VarRecorder
from ml_genn.engine import (ModelSpec, VarAccess, VarAccessMode, create_neuron_model,
                            create_postsynaptic_model, create_var_ref,
                            create_weight_update_model, init_postsynaptic, init_weight_update)
from ml_genn.neurons import IntegrateFire
from ml_genn_recorders.engine_access import timestep_range
from ml_genn_recorders.packed_spikes import (find_spikes, gather_words, spike_counts,
                                             unpack_words)
from ml_genn_recorders.plot import plot_spike_raster, plot_var_traces
from recorders_reference import IFNetwork, random_inputs, random_weights

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plots_write_png_straight_from_cb_data(tmp_path):
    net = IFNetwork(6, 4, random_weights(6, 4, seed=51), batch_size=2)
    with net.compiled:
        cb_data = net.evaluate(random_inputs(4, 6, seed=52), [
            SpikeRecorder(net.inp, key="spikes"), VarRecorder(net.hid, "v", key="v"),
            SpikeRecorder(net.inp, key="counts", record_counts=True)])
    raster = plot_spike_raster(cb_data, "spikes", example=3, path=tmp_path / "raster.png")
    traces = plot_var_traces(cb_data, "v", example=1, neurons=[0, 2], dt=0.5,
                             path=tmp_path / "v.png")
    for name in ("raster.png", "v.png"):
        content = (tmp_path / name).read_bytes()
        assert content.startswith(PNG_MAGIC) and len(content) > 1000
    # What was drawn is the recorded data
    offsets = raster.collections[0].get_offsets()
    np.testing.assert_array_equal(offsets[:, 0], cb_data["spikes"][0][3])
    np.testing.assert_array_equal(offsets[:, 1], cb_data["spikes"][1][3])
    lines = traces.get_lines()
    assert len(lines) == 2
    np.testing.assert_array_equal(lines[1].get_ydata(), cb_data["v"][1][:, 2])
    np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(8) * 0.5)

    with pytest.raises(KeyError, match=r"no recording with key 'nope' \(keys: 'spikes', 'v', "
                                       r"'counts'\)"):
        plot_spike_raster(cb_data, "nope")
    with pytest.raises(TypeError, match="not spike times and ids"):
        plot_spike_raster(cb_data, "counts")
    with pytest.raises(IndexError, match="holds 4 recorded examples, so example 4"):
        plot_var_traces(cb_data, "v", example=4)
    with pytest.raises(TypeError, match="not a list of per-example variable traces"):
        plot_var_traces(cb_data, "spikes")


# A neuron whose V ramps up by 1 per step and never spikes; a synapse whose spike-like event
# fires while the presynaptic V exceeds theta
RAMP = create_neuron_model("Ramp", vars=[("V", "scalar")], sim_code="V += 1.0;",
                           threshold_condition_code="V > 1000.0")
PROBE = create_neuron_model("Probe", vars=[("x", "scalar")], sim_code="x = Isyn;")
GRADED = create_weight_update_model(
    "Graded", params=["theta"], vars=[("g", "scalar", VarAccess.READ_ONLY)],
    pre_neuron_var_refs=[("V_pre", "scalar", VarAccessMode.READ_ONLY)],
    pre_event_threshold_condition_code="V_pre > theta",
    pre_event_syn_code="addToPost(g);")
DELTA = create_postsynaptic_model("DeltaCurr", sim_code="injectCurrent(inSyn); inSyn = 0.0;")


@pytest.mark.parametrize("batch_size", [1, 3])
def test_spike_like_events_of_a_hand_built_model(batch_size):
    v0 = np.array([0.0, 2.0, 4.0, 1.0, 3.5])
    spec = ModelSpec("float", f"recorder_events_{batch_size}")
    spec.batch_size, spec.seed = batch_size, 1
    pre = spec.add_neuron_population("pre", 5, RAMP, {}, {"V": v0})
    pre.spike_event_recording_enabled = True
    post = spec.add_neuron_population("post", 1, PROBE, {}, {"x": 0.0})
    spec.add_synapse_population(
        "s", "DENSE", pre, post,
        init_weight_update(GRADED, {"theta": 4.5}, {"g": 1.0},
                           pre_var_refs={"V_pre": create_var_ref(pre, "V")}),
        init_postsynaptic(DELTA))
    steps = 4
    runtime = CPUBackend().build(spec).load(num_recording_timesteps=steps)

    network = Network()
    with network:
        pop = Population(IntegrateFire(), 5, record_spike_events=True, name="pre")
    compiled = SimpleNamespace(genn_model=runtime, example_timesteps=steps,
                               neuron_populations={pop: runtime.neuron_populations["pre"]})
    callbacks = CallbackList([
        SpikeRecorder(pop, key="events", record_spike_events=True, neuron_filter=[1, 2, 4]),
        SpikeRecorder(pop, key="counts", record_spike_events=True, record_counts=True),
        SpikeRecorder(pop, key="all", record_spike_events=True)],
        compiled_network=compiled, num_batches=1)
    callbacks.on_batch_begin(0)
    runtime.run_timesteps(steps)
    callbacks.on_batch_end(0, {})
    data = callbacks.get_data()

    # After step k (0-based) V = v0 + k + 1; an event wherever that exceeds 4.5
    events = np.array([(v0 + k + 1) > 4.5 for k in range(steps)])
    kept = np.array([1, 2, 4])
    k, n = np.nonzero(events[:, kept])
    for example in range(batch_size):
        np.testing.assert_array_equal(data["events"][0][example], k.astype(float))
        np.testing.assert_array_equal(data["events"][1][example], kept[n])
        np.testing.assert_array_equal(data["counts"][example], events.sum(axis=0))
        k_all, n_all = np.nonzero(events)
        np.testing.assert_array_equal(data["all"][0][example], k_all.astype(float))
        np.testing.assert_array_equal(data["all"][1][example], n_all)
    with pytest.raises(ValueError, match="SpikeRecorder needs record_spikes=True"):
        SpikeRecorder(pop)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 70), st.integers(1, 4), st.integers(1, 6), st.integers(0, 2 ** 32 - 1))
def test_unpacking_matches_bit_arithmetic(num_neurons, batch_size, steps, seed):
    rng = np.random.default_rng(seed)
    words = (num_neurons + 31) // 32
    buffer = rng.integers(0, 2 ** 32, size=(steps, batch_size, words), dtype=np.uint32)
    flags = unpack_words(buffer, num_neurons)
    expected = np.array([[[(int(buffer[t, b, i // 32]) >> (i % 32)) & 1
                           for i in range(num_neurons)] for b in range(batch_size)]
                         for t in range(steps)], dtype=np.uint8)
    np.testing.assert_array_equal(flags, expected)

    # Ring-buffer reads: timesteps [first, first + steps) live in rows t % steps
    first = int(rng.integers(0, 50))
    slots = np.sort(rng.choice(batch_size, size=int(rng.integers(1, batch_size + 1)),
                               replace=False))
    mask = rng.random(num_neurons) < 0.6
    got_steps, words = gather_words(buffer, first, first + steps, slots)
    np.testing.assert_array_equal(got_steps, np.arange(first, first + steps))
    rows = np.arange(first, first + steps) % steps
    selected = expected[rows][:, slots].transpose(1, 0, 2)   # (examples, steps, neurons)
    example, row, ids = find_spikes(words, num_neurons, mask)
    want = np.nonzero(selected & mask[None, None, :])
    for got, exp in zip((example, row, ids), want):
        np.testing.assert_array_equal(got, exp)
    counts = spike_counts(example, ids, len(slots), num_neurons, np.flatnonzero(mask))
    np.testing.assert_array_equal(counts, selected[:, :, mask].sum(axis=1))


def test_timestep_range_refuses_overwritten_buffers():
    class Owner:
        def describe(self):
            return "SpikeRecorder(Population 'p')"

    owner = Owner()
    assert timestep_range(10, 18, 8, owner) == (10, 18)
    assert timestep_range(None, 18, 8, owner) == (10, 18)
    assert timestep_range(18, 8, 8, owner) == (0, 8)  # time was reset after on_batch_begin
    with pytest.raises(RuntimeError, match=r"SpikeRecorder\(Population 'p'\): the batch ran 9 "
                                           r"timesteps but the engine's recording buffer holds "
                                           r"only 8"):
        timestep_range(0, 9, 8, owner)
