"""The memory estimate made before a model's state is allocated, and the error it gives.

An allocation larger than the machine's memory may "succeed" lazily and the process be killed
when the engine first writes to it; loading a model checks first, and names the cause.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.backends.cpu import memory_estimate
from ml_genn.backends.cpu import runtime as runtime_module
from ml_genn.backends.cpu.memory_estimate import (InsufficientMemoryError, available_memory,
                                                   check_state_memory, estimate_state_memory)
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Dense, FixedProbability
from ml_genn.neurons import LeakyIntegrateFire, SpikeInput


def _network(batch_size, record=True):
    net = Network()
    with net:
        inp = Population(SpikeInput(max_spikes=500), 40, name="input", record_spikes=record)
        hid = Population(LeakyIntegrateFire(), 30, name="hidden", record_spikes=record)
        out = Population(LeakyIntegrateFire(readout="sum_var"), 3, name="output")
        Connection(inp, hid, FixedProbability(0.3, 1.0), name="sparse")
        Connection(hid, out, Dense(np.ones((30, 3)), delay=np.arange(90).reshape(30, 3) % 5),
                   name="delayed")
    return InferenceCompiler(evaluate_timesteps=10, batch_size=batch_size).compile(net)


@pytest.fixture(scope="module")
def compiled():
    return _network(batch_size=7)


def test_estimate_equals_what_loading_allocates(compiled):
    # Spike recording rings, sparse connectivity, dendritic delay buffers, EGPs, batched vars
    built = compiled._built
    recording = []
    for steps in (0, 10, 33):
        runtime = built.load(num_recording_timesteps=steps)
        parts = estimate_state_memory(built.spec, built.generated.table.slots, steps)
        allocated = sum(a.nbytes for a in runtime._arrays.values())
        pad = 64 * len(built.generated.table.slots)   # each array may start on a cache line
        assert sum(p.num_bytes for p in parts) - pad == allocated
        recording.append(sum(p.num_bytes for p in parts if p.recording))
    # Two populations record spikes: their rings grow with the recording length
    assert recording[0] < recording[1] < recording[2]


def test_parts_say_what_grows_with_the_batch(compiled):
    parts = {p.description: p for p in estimate_state_memory(
        compiled._built.spec, compiled._built.generated.table.slots, 10)}
    assert parts["variable 'V' of neuron population 'hidden'"].batched
    assert not parts["variable 'g' of synapse population 'sparse'"].batched
    assert parts["spike recording of neuron population 'hidden'"].recording
    assert parts["dendritic delay buffer of synapse population 'delayed'"].batched


def test_loading_beyond_available_memory_names_batch_size_before_allocating(monkeypatch):
    built = _network(batch_size=64, record=False)._built   # mostly per-example state
    need = check_state_memory(built.spec, built.generated.table.slots, 0, available=10 ** 12)
    monkeypatch.setattr(memory_estimate, "available_memory",
                        lambda: (need // 2, "a test's limit"))
    allocated = []
    real_zeros = runtime_module._zeros_on_cache_lines
    monkeypatch.setattr(runtime_module, "_zeros_on_cache_lines",
                        lambda *a: allocated.append(a) or real_zeros(*a))
    with pytest.raises(MemoryError, match=r"Model '.*' needs about .* for its state with "
                                          r"batch_size=64, but only .* is available \(a test's "
                                          r"limit\)\. Largest parts: .*\. \d+% of it grows "
                                          r"with the batch size \(batch_size=64\): reduce "
                                          r"batch_size"):
        built.load(num_recording_timesteps=0)
    assert allocated == []   # refused before any state array was made
    monkeypatch.setenv("ML_GENN_MEMORY_CHECK", "0")
    built.load(num_recording_timesteps=0)   # the escape hatch loads anyway
    assert allocated


def test_state_fixed_by_the_network_says_so(compiled):
    built = compiled._built   # batch 7: the synapses, not the batch, dominate
    with pytest.raises(InsufficientMemoryError, match=r"Only \d+% of it grows with the batch "
                                                      r"size \(batch_size=7\): make the "
                                                      r"largest populations or connections "
                                                      r"smaller"):
        check_state_memory(built.spec, built.generated.table.slots, 0, available=1000)


def test_long_recordings_name_num_recording_timesteps(compiled):
    built = compiled._built
    with pytest.raises(InsufficientMemoryError,
                       match=r"Largest parts: spike recording of neuron population 'input'.*"
                             r"recording buffers sized by num_recording_timesteps=10000000"):
        check_state_memory(built.spec, built.generated.table.slots, 10_000_000,
                           available=10 ** 8, source="test")


def test_available_memory_reads_this_machine():
    available, source = available_memory()
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert 0 < available and source
    # Free swap may add to it, but not more than the machine has again
    assert available <= 2 * total + (1 << 30) or "swap" in source


CHILD = textwrap.dedent("""
    import resource, sys
    sys.path.insert(0, sys.argv[1])
    from test_memory_estimate import _network
    compiled = _network(batch_size=3_000_000, record=False)   # about 1.8 GB of state
    # Room for 300 MB more than the process holds now: the state cannot fit
    with open("/proc/self/status") as f:
        size = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (size + 300 * 2 ** 20, resource.RLIM_INFINITY))
    try:
        with compiled:
            print("LOADED")
    except MemoryError as exc:
        print(type(exc).__name__, exc)
""")


def test_batch_size_too_large_for_the_process_is_a_clear_error_not_a_crash(tmp_path):
    # In a child with an address-space limit, so nothing here can exhaust the machine
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    proc = subprocess.run([sys.executable, str(script), os.path.dirname(__file__)],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("InsufficientMemoryError"), proc.stdout + proc.stderr[-2000:]
    assert "batch_size=3000000" in proc.stdout and "address-space limit" in proc.stdout
    assert "reduce batch_size" in proc.stdout
