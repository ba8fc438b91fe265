"""The build cache heals damaged libraries, writes durably and works when shared or read-only.

Every test gets its own ML_GENN_CACHE_DIR. A library is never damaged in place while this process
has it loaded (that could crash the test run itself): damaged copies go to a fresh directory,
and the heal of each damage runs in a subprocess, whose exit status shows it died of no signal.
"""
import ctypes
import json
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings

import numpy as np
import pytest

from engine_models import LIF
from ml_genn.backends.cpu import CPUBackend, build_cache
from ml_genn.engine import CodeCompileError, ModelSpec

TESTS = os.path.dirname(os.path.abspath(__file__))
STEPS = 5


def _spec(tau=13.0, name="cache_faults"):
    spec = ModelSpec("double", name)
    spec.add_neuron_population("p", 3, LIF, {"tau_m": tau, "v_thresh": 10.0}, {"V": 1.0})
    return spec


def _run(built):
    rt = built.load()
    rt.run_timesteps(STEPS)
    return rt.neuron_populations["p"].vars["V"].view.copy()


def _digest_file(lib):
    return lib.with_name(lib.name + ".sha256")


def _read_digest(lib):
    digest = _digest_file(lib)
    return digest.read_bytes() if digest.exists() else None


def _cache_warnings(caught):
    # By name, so the check also runs (and fails) on code that has no BuildCacheWarning
    return [str(w.message) for w in caught if w.category.__name__ == "BuildCacheWarning"]


def _build_recording(spec):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        built = CPUBackend().build(spec)
    return built, _cache_warnings(caught)


_HEAL = textwrap.dedent("""
    import json, sys, warnings
    sys.path.insert(0, {tests!r})
    from ml_genn.backends.cpu import CPUBackend
    from test_build_cache_faults import _cache_warnings, _run, _spec
    result = []
    for attempt in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            built = CPUBackend().build(_spec())
        result.append(dict(compiled=built.compiled, warnings=_cache_warnings(caught),
                           V=_run(built).tolist()))
    print(json.dumps(result))
""")


@pytest.mark.parametrize("damage, reason", [("truncated", "truncated"),
                                            ("zero_bytes", "is 0 bytes long"),
                                            ("byte_flipped", "corrupted"),
                                            ("other_models", "different model")],
                         ids=["truncated", "zero_bytes", "byte_flipped", "other_models"])
def test_damaged_cached_library_is_rebuilt_once_with_a_warning(damage, reason, tmp_path, monkeypatch):
    monkeypatch.setenv("ML_GENN_CACHE_DIR", str(tmp_path / "fresh"))
    fresh = CPUBackend().build(_spec())
    expected = _run(fresh)
    np.testing.assert_allclose(expected, np.exp(-STEPS / 13.0), rtol=1e-12)
    good = fresh.library_path.read_bytes()
    digest = _read_digest(fresh.library_path)
    if damage == "other_models":
        # Same model name, other parameters: a complete, self-consistent library of another build
        other = CPUBackend().build(_spec(tau=29.0))
        assert other.library_path != fresh.library_path
        bad, digest = other.library_path.read_bytes(), _read_digest(other.library_path)
    elif damage == "truncated":
        bad = good[:len(good) // 2]
    elif damage == "zero_bytes":
        bad = b""
    else:
        bad = bytearray(good)
        bad[len(bad) // 2] ^= 0xFF
        bad = bytes(bad)

    cache = tmp_path / "damaged"
    cache.mkdir()
    damaged_lib = cache / fresh.library_path.name
    damaged_lib.write_bytes(bad)
    if digest is not None:
        _digest_file(damaged_lib).write_bytes(digest)
    script = tmp_path / "heal.py"
    script.write_text(_HEAL.format(tests=TESTS))
    r = subprocess.run([sys.executable, str(script)], env=dict(os.environ, ML_GENN_CACHE_DIR=str(cache)),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"exit status {r.returncode} (negative: killed by that signal)\n{r.stderr}"
    first, second = json.loads(r.stdout.splitlines()[-1])
    assert first["compiled"] is True
    assert len(first["warnings"]) == 1
    assert str(damaged_lib) in first["warnings"][0] and reason in first["warnings"][0]
    assert "rebuilding" in first["warnings"][0]
    np.testing.assert_array_equal(first["V"], expected)
    # Healed for good: the next run uses the rebuilt library silently
    assert second == dict(compiled=False, warnings=[], V=first["V"])


def _fake_compiler(tmp_path, output):
    script = tmp_path / "fake-cc"
    script.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        out=""
        while [ $# -gt 0 ]; do
            if [ "$1" = "-o" ]; then out="$2"; fi
            shift
        done
        {output}
        exit 0
    """))
    script.chmod(0o755)
    return script


@pytest.mark.parametrize("output, problem", [(":", "wrote no output file"),
                                             (': > "$out"', "wrote an empty output file"),
                                             ('printf "not a library" > "$out"', "not a shared library")],
                         ids=["no_file", "empty_file", "garbage"])
def test_compiler_that_succeeds_without_a_library_is_an_error(output, problem, tmp_path, monkeypatch):
    monkeypatch.setenv("ML_GENN_CACHE_DIR", str(tmp_path / "cache"))
    fake = _fake_compiler(tmp_path, output)
    monkeypatch.setenv("CC", str(fake))
    with pytest.raises(CodeCompileError, match="exited successfully") as info:
        CPUBackend().build(_spec(name="fake_cc"))
    assert problem in str(info.value) and str(fake) in str(info.value)
    # Nothing was cached, so the next run (with a real compiler) is not handed the bad file
    assert not [f for f in os.listdir(tmp_path / "cache") if f.endswith(".so")]


class _FailingLoads:
    """Stands in for ctypes.CDLL: the first ``failures`` loads fail like a broken library."""

    def __init__(self, failures):
        self.failures, self.calls, self.real = failures, 0, ctypes.CDLL

    def __call__(self, name, *args, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise OSError(f"{name}: simulated load failure")
        return self.real(name, *args, **kwargs)


def _count_compiles(monkeypatch):
    compiles, real_run = [], subprocess.run

    def run(cmd, *args, **kwargs):
        if "-lm" in cmd:
            compiles.append(cmd)
        return real_run(cmd, *args, **kwargs)
    monkeypatch.setattr(subprocess, "run", run)
    return compiles


def test_cached_library_that_will_not_load_is_rebuilt_once(tmp_path, monkeypatch):
    monkeypatch.setenv("ML_GENN_CACHE_DIR", str(tmp_path / "cache"))
    CPUBackend().build(_spec(tau=31.0))
    compiles = _count_compiles(monkeypatch)
    monkeypatch.setattr(ctypes, "CDLL", _FailingLoads(failures=1))
    built, caught = _build_recording(_spec(tau=31.0))
    assert built.compiled is True and len(compiles) == 1
    assert len(caught) == 1 and "could not be loaded" in caught[0] and "simulated load failure" in caught[0]
    np.testing.assert_allclose(_run(built), np.exp(-STEPS / 31.0), rtol=1e-12)


def test_library_that_never_loads_is_rebuilt_at_most_once_then_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ML_GENN_CACHE_DIR", str(tmp_path / "cache"))
    CPUBackend().build(_spec(tau=37.0))
    compiles = _count_compiles(monkeypatch)
    monkeypatch.setattr(ctypes, "CDLL", _FailingLoads(failures=10 ** 6))
    with pytest.warns(build_cache.BuildCacheWarning, match="could not be loaded"):
        with pytest.raises(CodeCompileError, match=r"could not be loaded: .*simulated load failure.*ML_GENN_CACHE_DIR"):
            CPUBackend().build(_spec(tau=37.0))
    assert len(compiles) == 1


def test_library_and_digest_are_fsynced_before_they_are_renamed_into_place(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("ML_GENN_CACHE_DIR", str(cache))
    events, real_fsync, real_replace = [], os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.fstat(fd).st_ino))
        return real_fsync(fd)

    def replace(src, dst, *args, **kwargs):
        events.append(("replace", os.stat(src).st_ino, os.fspath(dst)))
        return real_replace(src, dst, *args, **kwargs)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    built = CPUBackend().build(_spec(tau=41.0))
    lib = built.library_path
    for final in (lib, _digest_file(lib), lib.with_suffix(".c")):
        at = next(i for i, e in enumerate(events) if e[0] == "replace" and e[2] == str(final))
        assert ("fsync", events[at][1]) in events[:at], f"{final.name} was renamed into place unsynced"
    last_replace = max(i for i, e in enumerate(events) if e[0] == "replace")
    assert ("fsync", os.stat(cache).st_ino) in events[last_replace:], "the directory was not synced"
    # Library before digest: a crash in between leaves no digest, so the library is never trusted
    order = [e[2] for e in events if e[0] == "replace"]
    assert order.index(str(lib)) < order.index(str(_digest_file(lib)))


@pytest.mark.parametrize("dir_mode, umask, extra_bits", [
    (0o700, 0o022, stat.S_IRGRP | stat.S_IROTH),   # private cache: the umask decides
    (0o755, 0o077, 0),
    (0o2775, 0o077, stat.S_IRGRP),                 # group-shared cache: the group may read
    (0o1777, 0o077, stat.S_IRGRP | stat.S_IROTH),  # world-writable cache: everyone may read
], ids=["private_umask_022", "private_umask_077", "group_shared", "world_shared"])
def test_cache_files_are_readable_by_everyone_who_shares_the_cache(dir_mode, umask, extra_bits, tmp_path,
                                                                   monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(dir_mode)
    monkeypatch.setenv("ML_GENN_CACHE_DIR", str(cache))
    old = os.umask(umask)
    try:
        lib = CPUBackend().build(_spec(tau=43.0)).library_path
    finally:
        os.umask(old)
    for path in (lib, _digest_file(lib), lib.with_suffix(".c")):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & stat.S_IRUSR
        assert mode & (stat.S_IRGRP | stat.S_IROTH) == extra_bits, f"{path.name}: {oct(mode)}"
        assert not mode & (stat.S_IWGRP | stat.S_IWOTH), f"{path.name}: {oct(mode)}"
        if umask == 0o077:
            # Beyond what sharing needs, nothing the umask withholds is granted
            assert not mode & 0o077 & ~extra_bits, f"{path.name}: {oct(mode)}"


def test_stale_temporary_files_of_killed_builds_are_removed(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("ML_GENN_CACHE_DIR", str(cache))
    stale = [cache / ".killed_0123456789abcdef.c", cache / ".killed_0123456789abcdef.so.tmp",
             cache / ".ml_genn_views_k1ll3d_x.cpython-311-x86_64-linux-gnu.so.tmp"]
    in_progress = cache / ".building_fedcba9876543210.so.tmp"
    unrelated = cache / ".notes.c"
    two_days_ago = time.time() - 2 * 24 * 3600
    for path in stale + [in_progress, unrelated]:
        path.write_bytes(b"partial")
    for path in stale + [unrelated]:
        os.utime(path, (two_days_ago, two_days_ago))
    CPUBackend().build(_spec(tau=47.0))
    assert not [p.name for p in stale if p.exists()]
    assert in_progress.exists() and unrelated.exists()


def _use_temp_root(tmp_path, monkeypatch):
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root / f"ml_genn-{os.geteuid()}"


def _check_fallback(spec_tau, private, configured):
    built, caught = _build_recording(_spec(tau=spec_tau))
    assert len(caught) == 1 and "ML_GENN_CACHE_DIR" in caught[0] and str(configured) in caught[0]
    assert str(private) in caught[0]
    assert built.library_path.parent == private
    assert stat.S_IMODE(private.stat().st_mode) == 0o700 and private.stat().st_uid == os.geteuid()
    np.testing.assert_allclose(_run(built), np.exp(-STEPS / spec_tau), rtol=1e-12)
    again, caught = _build_recording(_spec(tau=spec_tau))
    assert caught == [] and again.compiled is False and again.library_path == built.library_path


def test_cache_directory_that_cannot_be_created_falls_back_to_a_private_one(tmp_path, monkeypatch):
    private = _use_temp_root(tmp_path, monkeypatch)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ML_GENN_CACHE_DIR", str(blocker / "cache"))
    _check_fallback(53.0, private, blocker / "cache")


def test_read_only_cache_directory_falls_back_to_a_private_one(tmp_path, monkeypatch):
    private = _use_temp_root(tmp_path, monkeypatch)
    cache = tmp_path / "read_only"
    cache.mkdir()
    cache.chmod(0o555)
    monkeypatch.setenv("ML_GENN_CACHE_DIR", str(cache))
    if os.access(cache, os.W_OK):
        # Running as root, whom file modes do not stop: have the directory read as unwritable
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda path, mode, *a, **k: (
            False if os.fspath(path) == str(cache) and mode & os.W_OK else real_access(path, mode, *a, **k)))
    try:
        _check_fallback(59.0, private, cache)
        assert os.listdir(cache) == []
    finally:
        cache.chmod(0o755)


def test_private_fallback_never_uses_a_directory_others_can_enter(tmp_path, monkeypatch):
    usual = _use_temp_root(tmp_path, monkeypatch)
    usual.mkdir(mode=0o777)
    usual.chmod(0o777)   # e.g. made by someone else to read what this user builds
    monkeypatch.setenv("ML_GENN_CACHE_DIR", str(tmp_path / "a_file" / "cache"))
    (tmp_path / "a_file").write_text("not a directory")
    with pytest.warns(build_cache.BuildCacheWarning, match="ML_GENN_CACHE_DIR"):
        private = build_cache.cache_dir()
    assert private != usual and private.parent == usual.parent
    assert stat.S_IMODE(private.stat().st_mode) == 0o700


def test_library_owned_by_another_user_of_a_shared_cache_is_rebuilt_privately(tmp_path, monkeypatch):
    private = _use_temp_root(tmp_path, monkeypatch)
    cache = tmp_path / "shared"
    monkeypatch.setenv("ML_GENN_CACHE_DIR", str(tmp_path / "first"))
    name = CPUBackend().build(_spec(tau=61.0)).library_path.name
    cache.mkdir()
    cache.chmod(0o1777)
    (cache / name).write_bytes(b"")   # damaged, and (as simulated below) not ours to replace
    monkeypatch.setenv("ML_GENN_CACHE_DIR", str(cache))
    real_replace = os.replace

    def sticky_replace(src, dst, *args, **kwargs):
        # A sticky directory lets only a file's owner replace it
        if os.fspath(dst) == str(cache / name):
            raise PermissionError(1, "Operation not permitted", os.fspath(dst))
        return real_replace(src, dst, *args, **kwargs)
    monkeypatch.setattr(os, "replace", sticky_replace)
    built, caught = _build_recording(_spec(tau=61.0))
    assert len(caught) == 2 and "rebuilding" in caught[0]
    assert "belongs to another user" in caught[1] and str(private) in caught[1]
    assert built.library_path == private / name
    np.testing.assert_allclose(_run(built), np.exp(-STEPS / 61.0), rtol=1e-12)
