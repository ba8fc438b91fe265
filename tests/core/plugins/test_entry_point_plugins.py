"""Third-party plugins found through real entry points (tests/core/plugin_dists, pip-installed)."""
import json
import os
import subprocess
import sys
import warnings

import pytest

from ml_genn.plugins import PluginLoadError, PluginManager, PluginWarning
from ml_genn.testing import fresh_plugin_manager


def _load(**kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manager = PluginManager(autoload=True, **kwargs)
        manager.registry  # registration hooks run here
    return manager, [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]


def test_demo_plugin_discovered_and_resolvable(plugins_on_path):
    manager, _ = _load()
    info = manager.plugins["demo"]
    assert (info.distribution, info.version) == ("ml-genn-demo", "0.3.1")
    assert info.entry_point == "ml_genn_demo.plugin"
    assert "ml_genn_register_compilers" in info.hooks
    cls = manager.registry.get("compiler", "demo_compiler")
    assert cls.__module__ == "ml_genn_demo.components" and cls.__name__ == "DemoCompiler"
    assert manager.plugin_versions()["ml-genn-demo"] == "0.3.1"


def test_demo_compiler_reachable_at_mlgenn_path(plugins_on_path):
    with fresh_plugin_manager(autoload=True, disabled=["broken", "hookfail", "collide"]):
        import ml_genn.compilers
        assert ml_genn.compilers.DemoCompiler().compile("net", "x") == ("compiled", "net", "x")


def test_broken_plugins_warn_once_each_and_others_work(plugins_on_path):
    manager, messages = _load()
    import_failure = [m for m in messages if "'broken'" in m]
    hook_failure = [m for m in messages if "'hookfail'" in m]
    assert import_failure == ["Error loading plugin 'broken' (ml-genn-broken 0.0.7): "
                              "RuntimeError: the broken plugin failed on purpose"]
    assert len(hook_failure) == 1
    assert "ml_genn_register_metrics" in hook_failure[0]
    assert "ml-genn-broken 0.0.7" in hook_failure[0]
    assert "ValueError: hookfail cannot register its metrics" in hook_failure[0]
    # Core and the healthy plugin are unaffected
    assert "sparse_categorical_accuracy" in manager.registry.kind("metric")
    assert "demo_compiler" in manager.registry.kind("compiler")


def test_collision_reports_both_plugins_and_keeps_core(plugins_on_path):
    manager, messages = _load()
    (collision,) = [m for m in messages if "registered twice" in m]
    assert "compiler name 'inference'" in collision
    assert "'ml_genn.compilers' (ml-genn" in collision
    assert "'collide' (ml-genn-collide 1.2.0)" in collision
    assert manager.registry.kind("compiler").entry("inference").origin.plugin == "ml_genn.compilers"


def test_strict_mode_raises(plugins_on_path):
    with pytest.raises(PluginLoadError, match="'broken' \\(ml-genn-broken 0.0.7\\)"):
        PluginManager(autoload=True, strict=True)


def test_disabled_plugins_are_skipped(plugins_on_path):
    manager, messages = _load(disabled=["broken", "ml-genn-collide"])
    assert "broken" not in manager.plugins and "collide" not in manager.plugins
    assert not [m for m in messages if "'broken'" in m or "'collide'" in m]
    assert "hookfail" in manager.plugins


def test_autoload_off_loads_only_core(plugins_on_path):
    manager = PluginManager(autoload=False)
    assert all(info.builtin for info in manager.plugins.values())
    assert "demo_compiler" not in manager.registry.kind("compiler")


def _cli(plugin_site, *args, **env):
    full_env = dict(os.environ, PYTHONPATH=str(plugin_site), **env)
    for var in ("ML_GENN_STRICT_PLUGINS", "ML_GENN_DISABLE_PLUGIN_AUTOLOAD",
                "ML_GENN_DISABLED_PLUGINS", "ML_GENN_TRACE_PLUGINS"):
        if var not in env:
            full_env.pop(var, None)
    return subprocess.run([sys.executable, "-m", "ml_genn", *args], capture_output=True,
                          text=True, env=full_env)


def test_cli_lists_plugins_with_versions_and_components(plugin_site):
    result = _cli(plugin_site, "plugins")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    demo_row = next(line for line in lines if line.startswith("demo "))
    assert demo_row.split()[:4] == ["demo", "ml-genn-demo", "0.3.1", "ml_genn_demo.plugin"]
    assert any("compiler: demo_compiler" in line for line in lines)
    assert any("callback: demo_tracker" in line for line in lines)
    broken_row = next(line for line in lines if line.startswith("broken "))
    assert broken_row.split()[-1] == "FAILED"
    # The failure is also reported once on stderr as a warning
    assert result.stderr.count("Error loading plugin 'broken'") == 1


def test_cli_json_and_env_switches(plugin_site):
    result = _cli(plugin_site, "plugins", "--json", ML_GENN_DISABLED_PLUGINS="broken,hookfail,collide")
    assert result.returncode == 0, result.stderr
    rows = {row["plugin"]: row for row in json.loads(result.stdout)}
    assert sorted(rows["demo"]["components"]) == ["callback:demo_tracker", "compiler:demo_compiler"]
    assert "broken" not in rows and result.stderr == ""
    result = _cli(plugin_site, "plugins", "--json", ML_GENN_DISABLE_PLUGIN_AUTOLOAD="1")
    assert all(row["builtin"] for row in json.loads(result.stdout))
    result = _cli(plugin_site, "plugins", ML_GENN_STRICT_PLUGINS="1")
    assert result.returncode != 0 and "PluginLoadError" in result.stderr


def test_trace_switch_prints_hook_calls(plugin_site):
    result = _cli(plugin_site, "plugins", ML_GENN_TRACE_PLUGINS="1",
                  ML_GENN_DISABLED_PLUGINS="broken,hookfail,collide")
    assert "[ml_genn plugins] demo.ml_genn_register_compilers(registry)" in result.stderr
