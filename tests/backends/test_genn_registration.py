"""Who answers to the GeNN backend names, and what ``ml-genn doctor`` says about pygenn.

Runs without pygenn: where pygenn is missing it is pretended (``find_spec`` answers for it),
since only whether it is installed decides the names; nothing here imports it.
"""
import sys
import types
import warnings

import pytest

pytest.importorskip("ml_genn_pygenn", reason="ml-genn-pygenn not installed: "
                                             "'pip install -e ./plugins/genn'")

import ml_genn.backends.genn_handover as handover  # noqa: E402
import ml_genn_pygenn.plugin as genn_plugin  # noqa: E402
from ml_genn.plugins.manager import PluginManager  # noqa: E402


def _backends(monkeypatch, pygenn_installed, **env):
    """The backend table of a fresh plugin manager, pygenn installed or not."""
    for name in ("ML_GENN_DISABLED_PLUGINS", "ML_GENN_DISABLE_PLUGIN_AUTOLOAD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    real_found = handover._found
    monkeypatch.setattr(handover, "_found", lambda module: pygenn_installed
                        if module == "pygenn" else real_found(module))
    monkeypatch.setattr(genn_plugin, "pygenn_found", lambda: pygenn_installed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # a name claimed twice would warn
        return PluginManager().registry.kind("backend")


def test_with_pygenn_the_genn_names_are_genn_s_single_threaded_cpu_included(monkeypatch):
    table = _backends(monkeypatch, True)
    expected = {"genn": "GeNNBackend", "cuda": "CUDABackend", "hip": "HIPBackend",
                "single_threaded_cpu": "SingleThreadedCPUBackend"}
    for name, cls in expected.items():
        entry = table.entry(name)
        assert entry.target_path == f"ml_genn_pygenn.backend:{cls}"
        assert entry.origin.distribution == "ml-genn-pygenn"
    assert table.entry("cpu").target_path == "ml_genn.backends.cpu:CPUBackend"


@pytest.mark.parametrize("env", [{"ML_GENN_DISABLED_PLUGINS": "genn"},
                                 {"ML_GENN_DISABLED_PLUGINS": "other, ml-genn-pygenn"},
                                 {"ML_GENN_DISABLE_PLUGIN_AUTOLOAD": "1"}])
def test_without_the_plugin_single_threaded_cpu_stays_the_cpu_engine(monkeypatch, env):
    table = _backends(monkeypatch, True, **env)
    assert table.entry("single_threaded_cpu").target_path == "ml_genn.backends.cpu:CPUBackend"
    assert "cuda" not in table and "genn" not in table


def test_without_pygenn_nothing_changes_for_the_user(monkeypatch):
    from ml_genn.compilers import InferenceCompiler
    from ml_genn.plugins.errors import PluginNotInstalledError
    table = _backends(monkeypatch, False)
    assert table.entry("single_threaded_cpu").target_path == "ml_genn.backends.cpu:CPUBackend"
    assert sorted(table.names()) == ["cpu", "single_threaded_cpu"]
    from ml_genn.plugins.manager import set_plugin_manager
    # The compiler resolves names through the process-wide manager: one built likewise
    previous = set_plugin_manager(PluginManager())
    try:
        with pytest.raises(PluginNotInstalledError, match="pygenn"):
            InferenceCompiler(evaluate_timesteps=10, backend="cuda")
    finally:
        set_plugin_manager(previous)


def test_doctor_says_where_to_get_pygenn_when_it_does_not_import(monkeypatch):
    from ml_genn import cli
    monkeypatch.setitem(sys.modules, "pygenn", None)      # import pygenn -> ImportError
    check = cli._check_pygenn()
    assert not check.ok
    assert "not importable" in check.detail
    assert cli.GENN_INSTALL_URL in check.hint and "./plugins/genn" in check.hint


def _fake_pygenn(monkeypatch, backends):
    pygenn = types.ModuleType("pygenn")
    pygenn.__version__ = "5.4.0"
    genn_model = types.ModuleType("pygenn.genn_model")
    genn_model.backend_modules = {b: object() for b in backends}
    pygenn.genn_model = genn_model
    monkeypatch.setitem(sys.modules, "pygenn", pygenn)
    monkeypatch.setitem(sys.modules, "pygenn.genn_model", genn_model)


def test_doctor_lists_genn_s_backends_and_the_plugin(monkeypatch):
    from ml_genn import cli
    _fake_pygenn(monkeypatch, ["cuda", "single_threaded_cpu"])
    check = cli._check_pygenn()
    assert check.ok
    assert check.detail == ("5.4.0; GeNN backends: cuda, single_threaded_cpu; "
                            "ml-genn-pygenn installed")
    monkeypatch.setattr(cli, "find_spec", lambda name: None)
    check = cli._check_pygenn()
    assert not check.ok and "ml-genn-pygenn not installed" in check.detail
    assert "pip install ./plugins/genn" in check.hint
