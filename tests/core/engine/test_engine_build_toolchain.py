"""Compile errors mapped to code strings, the build cache, concurrent builds, missing compilers."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from engine_models import DELTA, LIF, STATIC_PULSE, build
from ml_genn.backends.cpu import CPUBackend, build_cache, toolchain
from ml_genn.engine import CodeCompileError, CompilerNotFoundError, ModelSpec, create_neuron_model


def _single(model, name, params=None, vars=None):
    m = ModelSpec("float", name)
    m.add_neuron_population("p", 2, model, params or {}, vars or {})
    return m


def test_name_error_reported_as_model_field_line_with_offending_line():
    typo = create_neuron_model("Typo", params=["Vthresh"], vars=[("V", "scalar")],
                               sim_code="V += 1.0;\nV = fmin(V, Vthres);\n")
    with pytest.raises(CodeCompileError) as info:
        CPUBackend().build(_single(typo, "typo", {"Vthresh": 1.0}, {"V": 0.0}))
    msg = str(info.value)
    assert "Typo.sim_code:2:" in msg and "'Vthres' undeclared" in msg
    assert "V = fmin(V, Vthres);" in msg
    assert "model.c" not in msg


def test_syntax_error_in_threshold_reported_against_its_field():
    bad = create_neuron_model("BadThreshold", vars=[("V", "scalar")], threshold_condition_code="V >= ")
    with pytest.raises(CodeCompileError, match=r"BadThreshold\.threshold_condition_code:1:"):
        CPUBackend().build(_single(bad, "bad_threshold", vars={"V": 0.0}))


def test_second_build_reuses_cache_without_running_compiler(monkeypatch):
    m = _single(LIF, "cache_reuse", {"tau_m": 17.0, "v_thresh": 1.0}, {"V": 0.25})
    first = CPUBackend().build(m)

    def no_compiler(*args, **kwargs):
        raise AssertionError("the compiler ran on a cached build")
    monkeypatch.setattr(build_cache.subprocess, "run", no_compiler)
    second = CPUBackend().build(m)
    assert second.compiled is False and second.library_path == first.library_path
    rt = second.load()
    rt.step_time()
    np.testing.assert_allclose(rt.neuron_populations["p"].vars["V"].view, 0.25 * np.exp(-1.0 / 17.0), rtol=1e-6)


_CONCURRENT = textwrap.dedent("""
    import sys, numpy as np
    sys.path.insert(0, {tests!r})
    from engine_models import LIF
    from ml_genn.backends.cpu import CPUBackend
    from ml_genn.engine import ModelSpec
    m = ModelSpec("double", "concurrent")
    m.add_neuron_population("p", 3, LIF, {{"tau_m": {tau!r}, "v_thresh": 10.0}}, {{"V": 1.0}})
    rt = CPUBackend().build(m).load()
    rt.run_timesteps(4)
    print(repr(float(rt.neuron_populations["p"].vars["V"].view[0, 0])))
""")


def test_two_processes_building_one_model_at_once_both_succeed(tmp_path):
    tau = 13.0 + float(np.random.default_rng().integers(1000))   # fresh source -> nothing cached
    script = tmp_path / "build_model.py"
    script.write_text(_CONCURRENT.format(tests=os.path.dirname(__file__), tau=tau))
    env = dict(os.environ, ML_GENN_CACHE_DIR=str(tmp_path / "cache"))
    procs = [subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert float(out.strip()) == pytest.approx(np.exp(-4.0 / tau), rel=1e-12)
    libs = [f for f in os.listdir(tmp_path / "cache") if f.endswith(".so")]
    assert len(libs) == 1
    assert not [f for f in os.listdir(tmp_path / "cache") if f.endswith(".tmp")]


def test_missing_compiler_gives_clear_error_before_simulation(monkeypatch, tmp_path):
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    with pytest.raises(CompilerNotFoundError, match=r"CC environment variable.*apt-get install gcc"):
        toolchain.find_c_compiler()
    m = _single(LIF, "no_compiler", {"tau_m": 19.0, "v_thresh": 1.0}, {"V": 0.0})
    with pytest.raises(CompilerNotFoundError, match="apt-get install gcc"):
        CPUBackend().build(m)
    ok, detail = toolchain.check_shared_library_build()
    assert not ok and "apt-get install gcc" in detail
    monkeypatch.delenv("CC")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CompilerNotFoundError, match=r"No C compiler found.*apt-get install gcc"):
        toolchain.find_c_compiler()


def test_doctor_says_how_to_fix_a_missing_compiler(tmp_path):
    env = dict(os.environ, CC=str(tmp_path / "no-such-cc"))
    r = subprocess.run([sys.executable, "-m", "ml_genn", "doctor"], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode != 0
    assert "FAIL" in r.stdout and "apt-get install gcc" in r.stdout


def test_toolchain_probes_report_working_compiler():
    ok, detail = toolchain.check_shared_library_build()
    assert ok, detail
    omp_ok, omp_detail = toolchain.openmp_available()
    assert isinstance(omp_ok, bool) and omp_detail
    rt = build(_single(LIF, "omp_probe", {"tau_m": 20.0, "v_thresh": 1.0}, {"V": 0.0}))
    assert rt.has_openmp == omp_ok


def _noisy_batched_spec(name):
    """A batched model whose result depends on the RNG and on parallel batch updates."""
    from ml_genn.engine import init_postsynaptic, init_var, init_weight_update
    spec = ModelSpec("float", name)
    spec.batch_size, spec.seed = 3, 7
    noise = create_neuron_model("Noise", threshold_condition_code="gennrand_uniform() < 0.3")
    src = spec.add_neuron_population("src", 20, noise)
    trg = spec.add_neuron_population("trg", 5, LIF, {"tau_m": 10.0, "v_thresh": 2.0}, {"V": 0.0})
    spec.add_synapse_population("s", "DENSE", src, trg,
                                init_weight_update(STATIC_PULSE, vars={"g": init_var("Normal", {"mean": 0.2, "sd": 0.1})}),
                                init_postsynaptic(DELTA))
    return spec


def test_serial_build_without_openmp_gives_identical_results(monkeypatch):
    runs = {}
    for disabled in ("0", "1"):
        monkeypatch.setenv("ML_GENN_DISABLE_OPENMP", disabled)
        rt = build(_noisy_batched_spec("serial_fallback"))
        rt.set_num_threads(2)
        rt.run_timesteps(50)
        runs[disabled] = (rt.has_openmp, rt.neuron_populations["trg"].vars["V"].view.copy())
    assert runs["1"][0] is False
    assert runs["0"][0] == toolchain.openmp_available()[0]
    np.testing.assert_array_equal(runs["0"][1], runs["1"][1])


def test_native_builds_are_keyed_on_the_target_cpu(monkeypatch):
    compiler = toolchain.find_c_compiler()
    native = ["-O3", "-march=native"]
    identity = toolchain.build_identity(compiler, native)
    assert toolchain.compiler_version(tuple(compiler)) in identity
    assert toolchain.native_target(tuple(compiler)) in identity
    # The same flags on another CPU must not share a cached library
    monkeypatch.setattr(toolchain, "native_target", lambda c: "some-other-cpu")
    other = toolchain.build_identity(compiler, native)
    assert other != identity
    key = lambda ident: build_cache.cache_key("int x;", compiler, ident, native)
    assert key(identity) != key(other)
    # Portable builds do not depend on the CPU at all
    assert toolchain.build_identity(compiler, ["-O3"]) == toolchain.compiler_version(tuple(compiler))
