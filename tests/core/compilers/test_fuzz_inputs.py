"""Fuzzing ``evaluate``/``predict``/``train`` with malformed inputs: the process never dies.

The engine runs native code on the data it is given, so a malformed input that slipped past
the checks could make it read outside an array and kill the process with a signal instead of
raising. A child process compiles two small networks once (inference with a spike and a dense
input; EventProp training), then Hypothesis throws malformed data at them: wrong shapes and
dtypes, NaN/inf/complex/huge/negative values, object arrays, dicts with wrong keys, empty
arrays, hand-built inconsistent ``PreprocessedSpikes``. Every call must return or raise a
Python exception; the parent checks that the child exited normally (no signal) after running
every example, and that the errors it saw were the documented kinds.
"""
import json
import os
import subprocess
import sys
import textwrap

NUM_EXAMPLES = 150

CHILD = textwrap.dedent('''
    import collections, json, sys, warnings
    import numpy as np
    from hypothesis import HealthCheck, Phase, given, settings, strategies as st

    from ml_genn import Connection, Network, Population
    from ml_genn.compilers import EventPropCompiler, InferenceCompiler
    from ml_genn.compilers.event_prop_compiler import default_params
    from ml_genn.connectivity import Dense
    from ml_genn.neurons import (IntegrateFire, IntegrateFireInput, LeakyIntegrate,
                                 LeakyIntegrateFire, SpikeInput)
    from ml_genn.optimisers import SGD
    from ml_genn.synapses import Exponential
    from ml_genn.utils.data import PreprocessedSpikes, preprocess_spikes

    warnings.simplefilter("ignore")
    NUM_EXAMPLES, LAST_CASE = int(sys.argv[1]), sys.argv[2]

    inference = Network()
    with inference:
        spk = Population(SpikeInput(max_spikes=64), 4, name="spk")
        dense = Population(IntegrateFireInput(), 3, name="dense")
        out = Population(IntegrateFire(v_thresh=1e9, readout="var"), 3, name="out")
        Connection(spk, out, Dense(np.full((4, 3), 0.5)))
        Connection(dense, out, Dense(np.full((3, 3), 0.5)))
    training = Network(default_params)
    with training:
        t_in = Population(SpikeInput(max_spikes=64), 4, name="t_in")
        t_hid = Population(LeakyIntegrateFire(), 5, name="t_hid")
        t_out = Population(LeakyIntegrate(readout="avg_var"), 3, name="t_out")
        Connection(t_in, t_hid, Dense(np.full((4, 5), 0.5)), Exponential(5.0))
        Connection(t_hid, t_out, Dense(np.full((5, 3), 0.5)), Exponential(5.0))
    infer = InferenceCompiler(evaluate_timesteps=10, batch_size=2).compile(inference)
    train = EventPropCompiler(example_timesteps=10, batch_size=2, max_spikes=64,
                              losses="sparse_categorical_crossentropy",
                              optimiser=SGD(0.01)).compile(training)

    FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                       st.sampled_from([1e300, -1e300, 3.5e38, -1.0, 0.0, 1e-320]))
    DTYPES = st.sampled_from([np.float32, np.float64, np.int8, np.int64, np.uint64, np.complex64,
                              np.complex128, object, bool, str])

    @st.composite
    def arrays(draw, max_dims=3):
        shape = tuple(draw(st.lists(st.integers(0, 5), max_size=max_dims)))
        size = int(np.prod(shape))
        values = draw(st.lists(FLOATS, min_size=size, max_size=size))
        dtype = draw(DTYPES)
        array = np.array(values, dtype=np.float64).reshape(shape)
        with np.errstate(all="ignore"):
            if dtype is str:
                return array.astype(str)
            if dtype is object:
                return array.astype(object)
            if np.issubdtype(np.dtype(dtype), np.integer):
                return np.nan_to_num(array, posinf=0, neginf=0).clip(-100, 100).astype(dtype)
            return array.astype(dtype)

    @st.composite
    def spike_trains(draw, num_neurons):
        kind = draw(st.sampled_from(["valid", "valid", "valid", "hand", "hand_arrays", "odd"]))
        if kind == "valid":
            n = draw(st.integers(0, 8))
            times = draw(st.lists(st.floats(0, 12), min_size=n, max_size=n))
            ids = draw(st.lists(st.integers(0, num_neurons - 1), min_size=n, max_size=n))
            return preprocess_spikes(times, ids, num_neurons)
        if kind == "hand":
            # Plausible-looking but inconsistent: counts and times drawn independently, the
            # counts mostly of the right length, so that only their values are wrong
            size = draw(st.sampled_from([num_neurons] * 4 + [0, num_neurons + 1]))
            ends = draw(st.lists(st.one_of(st.integers(-5, 10), st.just(2 ** 40)),
                                 min_size=size, max_size=size))
            times = draw(st.lists(st.one_of(st.floats(0, 12), FLOATS), max_size=8))
            return PreprocessedSpikes(np.array(ends, dtype=np.int64), np.array(times))
        if kind == "hand_arrays":
            return PreprocessedSpikes(draw(arrays(2)), draw(arrays(2)))
        return PreprocessedSpikes(draw(st.sampled_from([None, "x", 3, [1, 2], {"a": 1}])),
                                  draw(st.sampled_from([None, [1.0, 2.0], np.zeros((2, 2))])))

    @st.composite
    def spike_data(draw, num_neurons, n):
        kind = draw(st.sampled_from(["list", "list", "list", "any_list", "single", "array",
                                     "other"]))
        if kind == "list":
            return draw(st.lists(spike_trains(num_neurons), min_size=n, max_size=n))
        if kind == "any_list":
            return draw(st.lists(spike_trains(num_neurons), max_size=5))
        if kind == "single":
            return draw(spike_trains(num_neurons))
        if kind == "array":
            return draw(arrays())
        return draw(st.sampled_from([None, "spikes", 7, {"a": 1}, [None], [[1, 2]]]))

    @st.composite
    def dense_data(draw, n):
        kind = draw(st.sampled_from(["valid"] * 4 + ["floats", "other"]))
        if kind == "valid":
            return np.array(draw(st.lists(st.floats(0, 2), min_size=3 * n, max_size=3 * n)),
                            dtype=np.float32).reshape(n, 3)
        if kind == "floats":
            return np.array(draw(st.lists(st.lists(FLOATS, min_size=3, max_size=3),
                                          min_size=n, max_size=n))).reshape(n, 3)
        return draw(st.one_of(arrays(), st.sampled_from([None, "x", [[1, 2], [3]], {"a": 1}])))

    @st.composite
    def labels(draw, n):
        kind = draw(st.sampled_from(["valid"] * 4 + ["ints", "other"]))
        if kind == "valid":
            return np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=int)
        if kind == "ints":
            return np.array(draw(st.lists(st.integers(-2, 4), max_size=5)))
        return draw(st.one_of(arrays(2), st.sampled_from([None, "y", [0.5, 1], [[0], [1, 2]]])))

    @st.composite
    def keyed(draw, entries, wrong_keys):
        """A data dict, sometimes with a key dropped, added or replaced, or not a dict."""
        data = dict(entries)
        choice = draw(st.sampled_from(["ok"] * 8 + ["drop", "extra", "name", "not_dict"]))
        if choice == "drop" and data:
            data.pop(next(iter(data)))
        elif choice == "extra":
            data[draw(st.sampled_from(wrong_keys))] = next(iter(entries.values()), None)
        elif choice == "name" and data:
            key = next(iter(data))
            data[getattr(key, "name", "x")] = data.pop(key)
        elif choice == "not_dict":
            return list(data.values())
        return data

    errors = collections.Counter()
    samples = {}
    ran = 0

    @settings(max_examples=NUM_EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.data())
    def fuzz(data):
        global ran
        op = data.draw(st.sampled_from(["evaluate", "predict", "train"]))
        n = data.draw(st.integers(0, 5))   # examples, where the data are consistent
        if op == "train":
            x = data.draw(keyed({t_in: data.draw(spike_data(4, n))}, [t_out, "t_in", 0]))
            y = data.draw(keyed({t_out: data.draw(labels(n))}, [t_in, "t_out"]))
            epochs = data.draw(st.sampled_from([1] * 4 + [0, -1, 2.5, "1", None]))
            call = lambda: train.train(x, y, num_epochs=epochs, callbacks=[],
                                       validation_callbacks=[])
        else:
            x = data.draw(keyed({spk: data.draw(spike_data(4, n)),
                                 dense: data.draw(dense_data(n))}, [out, "spk", 0]))
            if op == "evaluate":
                y = data.draw(keyed({out: data.draw(labels(n))}, [spk, "out"]))
                call = lambda: infer.evaluate(x, y, callbacks=[])
            else:
                call = lambda: infer.predict(x, callbacks=[])
        # Left behind for the parent to show if this call kills the process
        with open(LAST_CASE, "w") as f:
            f.write(f"{op}: x={x!r:.2000}\\n")
        try:
            call()
            errors["none"] += 1
        except Exception as exc:
            kind = f"{type(exc).__module__}.{type(exc).__name__}"
            errors[kind] += 1
            samples.setdefault(kind, f"{op}: {exc}"[:400])
            if not isinstance(exc, (RuntimeError, ValueError, TypeError, KeyError)):
                errors["unexpected: " + repr(exc)[:300]] += 1
        ran += 1

    with infer, train:
        infer.genn_model.set_num_threads(1)
        fuzz()
    print(json.dumps({"ran": ran, "outcomes": errors, "samples": samples}))
''')


def test_malformed_inputs_never_kill_the_process(tmp_path):
    script = tmp_path / "fuzz_child.py"
    script.write_text(CHILD)
    last_case = tmp_path / "last_case.txt"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(script), str(NUM_EXAMPLES), str(last_case)],
                          capture_output=True, text=True, timeout=300, env=env)
    last = last_case.read_text() if last_case.exists() else "(none)"
    # A negative return code is death by a signal (segmentation fault, abort, kill)
    assert proc.returncode >= 0, f"child died by signal {-proc.returncode} on {last}"
    assert proc.returncode == 0, f"child failed on {last}:\n{proc.stderr[-3000:]}"
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["ran"] == NUM_EXAMPLES
    unexpected = [k for k in report["outcomes"] if k.startswith("unexpected")]
    assert not unexpected, unexpected
    # The fuzzing reached both outcomes: some calls ran, most were refused with clear errors
    assert report["outcomes"].get("none", 0) > 0
    assert report["outcomes"].get("ml_genn.errors.InvalidValueError", 0) > 0
