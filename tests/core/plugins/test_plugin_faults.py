"""A broken plugin never takes the host down (issue 18, point 5).

Each test builds its own stand-in distributions: ``*.dist-info`` folders (METADATA and
entry_points.txt) plus plugin modules in a temporary folder put at the front of ``sys.path``, so
the real ``importlib.metadata`` discovery finds them in-process, without pip.
"""
import importlib
import json
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from ml_genn.cli import main as cli_main
from ml_genn.plugins import DuplicateComponentError, PluginLoadError, PluginManager, PluginWarning
from ml_genn.testing import fresh_plugin_manager, registered_plugin

ENV_SWITCHES = ("ML_GENN_STRICT_PLUGINS", "ML_GENN_DISABLE_PLUGIN_AUTOLOAD",
                "ML_GENN_DISABLED_PLUGINS", "ML_GENN_TRACE_PLUGINS")

#: A healthy plugin installed next to every broken one: it must keep working
HEALTHY = ("ml-genn-fx-healthy", "1.0", {"fx_healthy": "fx_healthy_plugin"}, {
    "fx_healthy_plugin": """
        from ml_genn import hookimpl
        from ml_genn.compilers import Compiler

        class HealthyCompiler(Compiler):
            pass

        @hookimpl
        def ml_genn_register_compilers(registry):
            registry.add("fx_healthy_compiler", HealthyCompiler)
    """})


class FakeSite:
    """A folder of stand-in distributions on ``sys.path``."""

    def __init__(self, root: Path):
        self.root = root

    def add(self, distribution, version, entry_points, modules=None, entry_points_text=None):
        """Write a distribution's metadata, its ``ml_genn.plugins`` entry points and modules."""
        info = self.root / f"{distribution.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\n"
                                       f"Version: {version}\n")
        if entry_points_text is None:
            entry_points_text = "[ml_genn.plugins]\n" + "".join(
                f"{name} = {value}\n" for name, value in entry_points.items())
        (info / "entry_points.txt").write_text(entry_points_text)
        for module, source in (modules or {}).items():
            (self.root / f"{module}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()


@pytest.fixture
def site(tmp_path, monkeypatch):
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    for var in ENV_SWITCHES:
        monkeypatch.delenv(var, raising=False)
    fake = FakeSite(root)
    fake.add(*HEALTHY)
    yield fake
    # Stand-in modules must not leak into the next test (which writes its own under the same name)
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(root)):
            del sys.modules[name]


def _load(strict=False, **kwargs):
    """A manager with entry points loaded and the registry built, and its PluginWarnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manager = PluginManager(autoload=True, strict=strict, **kwargs)
        manager.registry  # registration hooks run here
    return manager, [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]


def _about(messages, *needles):
    return [m for m in messages if all(n in m for n in needles)]


def _assert_healthy_plugin_works(manager):
    assert manager.registry.get("compiler", "fx_healthy_compiler").__name__ == "HealthyCompiler"
    assert manager.plugin_versions()["ml-genn-fx-healthy"] == "1.0"
    # Core is untouched too
    assert manager.registry.kind("compiler").entry("inference").origin.plugin == "ml_genn.compilers"


# ---------------------------------------------------------------------------
# A plugin that raises anything while it is imported or registered: one warning
# ---------------------------------------------------------------------------
_REGISTERS_THEN_RAISES = """
    from ml_genn import hookimpl
    from ml_genn.compilers import Compiler

    class HalfCompiler(Compiler):
        pass

    @hookimpl
    def ml_genn_register_compilers(registry):
        registry.add("fx_half_compiler", HalfCompiler)
        {raise_statement}
"""

# case id -> (entry-point value, modules, text the single warning must contain)
FAULTS = {
    "import_raises_exception": (
        "fx_broken_mod", {"fx_broken_mod": "raise RuntimeError('broken on purpose')"},
        "Error loading plugin 'fx_broken' (ml-genn-fx-broken 0.1): "
        "RuntimeError: broken on purpose"),
    "import_raises_system_exit": (
        "fx_broken_mod", {"fx_broken_mod": "import sys\nsys.exit(3)"},
        "Error loading plugin 'fx_broken' (ml-genn-fx-broken 0.1): SystemExit: 3"),
    "import_raises_generator_exit": (
        "fx_broken_mod", {"fx_broken_mod": "raise GeneratorExit('closing')"},
        "Error loading plugin 'fx_broken' (ml-genn-fx-broken 0.1): GeneratorExit: closing"),
    "import_raises_custom_base_exception": (
        "fx_broken_mod", {"fx_broken_mod": "class Abort(BaseException):\n    pass\n"
                                           "raise Abort('custom')"},
        "Error loading plugin 'fx_broken' (ml-genn-fx-broken 0.1): Abort: custom"),
    "module_not_importable": (
        "fx_no_such_module.plugin", {},
        "Error loading plugin 'fx_broken' (ml-genn-fx-broken 0.1): ModuleNotFoundError: "
        "No module named 'fx_no_such_module'"),
    "entry_point_attribute_missing": (
        "fx_broken_mod:no_such_attr", {"fx_broken_mod": "VALUE = 1"},
        "Error loading plugin 'fx_broken' (ml-genn-fx-broken 0.1): AttributeError: "
        "module 'fx_broken_mod' has no attribute 'no_such_attr'"),
    "registration_hook_raises_exception": (
        "fx_broken_mod",
        {"fx_broken_mod": _REGISTERS_THEN_RAISES.format(
            raise_statement="raise ValueError('cannot register')")},
        "Error in hook ml_genn_register_compilers of plugin 'fx_broken' (ml-genn-fx-broken "
        "0.1): ValueError: cannot register"),
    "registration_hook_raises_system_exit": (
        "fx_broken_mod",
        {"fx_broken_mod": _REGISTERS_THEN_RAISES.format(raise_statement="raise SystemExit(2)")},
        "Error in hook ml_genn_register_compilers of plugin 'fx_broken' (ml-genn-fx-broken "
        "0.1): SystemExit: 2"),
    # pluggy refuses the second hook (an argument no spec has) after adding the first one
    "hook_signature_refused_by_pluggy": (
        "fx_broken_mod", {"fx_broken_mod": """
            from ml_genn import hookimpl
            from ml_genn.compilers import Compiler

            class HalfCompiler(Compiler):
                pass

            @hookimpl
            def ml_genn_register_compilers(registry):
                registry.add("fx_half_compiler", HalfCompiler)

            @hookimpl
            def ml_genn_register_neurons(registry, no_such_argument):
                pass
        """},
        "Error registering plugin 'fx_broken' (ml-genn-fx-broken 0.1): PluginValidationError"),
}


@pytest.mark.parametrize("case", list(FAULTS))
def test_broken_plugin_costs_one_warning_and_nothing_else(site, case):
    value, modules, expected = FAULTS[case]
    site.add("ml-genn-fx-broken", "0.1", {"fx_broken": value}, modules)
    manager, messages = _load()
    about_broken = _about(messages, "'fx_broken'")
    assert len(about_broken) == 1, messages
    assert expected in about_broken[0]
    info = manager.plugins["fx_broken"]
    assert info.error is not None and (info.distribution, info.version) == ("ml-genn-fx-broken",
                                                                               "0.1")
    # A plugin reported as broken contributes nothing, even what it registered before failing
    assert "fx_half_compiler" not in manager.registry.kind("compiler")
    assert manager.get_plugin("fx_broken") is None
    assert "ml-genn-fx-broken" not in manager.plugin_versions()
    _assert_healthy_plugin_works(manager)


@pytest.mark.parametrize("case", list(FAULTS))
def test_strict_mode_raises_the_plugin_error(site, case):
    value, modules, expected = FAULTS[case]
    site.add("ml-genn-fx-broken", "0.1", {"fx_broken": value}, modules)
    with pytest.raises(PluginLoadError) as raised:
        PluginManager(autoload=True, strict=True).registry
    assert expected in str(raised.value)
    assert isinstance(raised.value.__cause__, BaseException)


def test_keyboard_interrupt_during_import_propagates(site):
    # Ctrl-C while plugins load is the user stopping the program: it must not be swallowed as if
    # it were the plugin's fault
    site.add("ml-genn-fx-broken", "0.1", {"fx_broken": "fx_broken_mod"},
             {"fx_broken_mod": "raise KeyboardInterrupt"})
    with pytest.raises(KeyboardInterrupt):
        PluginManager(autoload=True)


def test_failed_registration_hook_is_reported_once_across_registry_rebuilds(site):
    site.add("ml-genn-fx-broken", "0.1", {"fx_broken": "fx_broken_mod"},
             {"fx_broken_mod": _REGISTERS_THEN_RAISES.format(
                 raise_statement="raise ValueError('cannot register')")})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manager = PluginManager(autoload=True)
        manager.registry
        # Registering another plugin rebuilds the registry; the broken one must not warn again
        with registered_plugin(manager, object(), name="fx_runtime"):
            assert "fx_healthy_compiler" in manager.registry.kind("compiler")
        manager.registry
    about_broken = [w for w in caught if "'fx_broken'" in str(w.message)]
    assert len(about_broken) == 1


def test_malformed_entry_points_file_is_one_warning(site):
    # importlib.metadata.entry_points() raises for the whole environment on such a file
    site.add("ml-genn-fx-garbled", "0.2", {},
             entry_points_text="[ml_genn.plugins]\nthis line has no equals sign\n")
    # A malformed file of a project that is not an ml_genn plugin is none of ml_genn's business
    site.add("fx-unrelated", "3.0", {}, entry_points_text="[console_scripts]\nno equals\n")
    manager, messages = _load()
    assert len(_about(messages, "ml-genn-fx-garbled 0.2")) == 1
    assert _about(messages, "fx-unrelated") == []
    _assert_healthy_plugin_works(manager)


# ---------------------------------------------------------------------------
# Component-name collisions drop only the colliding name
# ---------------------------------------------------------------------------
_CLAIMS = """
    from ml_genn import hookimpl
    from ml_genn.compilers import Compiler

    class {cls}(Compiler):
        pass

    @hookimpl{opts}
    def ml_genn_register_compilers(registry):
        for name in {names!r}:
            registry.add(name, {cls})
"""


def _claimer(site, plugin, names, trylast=False):
    module = f"{plugin}_mod"
    cls = "".join(part.title() for part in plugin.split("_")) + "Compiler"
    opts = "(trylast=True)" if trylast else ""
    site.add(f"ml-genn-{plugin.replace('_', '-')}", "1.5", {plugin: module},
             {module: _CLAIMS.format(cls=cls, names=list(names), opts=opts)})
    return cls


def test_collision_drops_only_the_colliding_name(site):
    cls = _claimer(site, "fx_greedy", ["inference", "fx_greedy_only"])
    manager, messages = _load()
    # The plugin's other registration survives and the plugin counts as loaded
    assert manager.registry.get("compiler", "fx_greedy_only").__name__ == cls
    assert manager.plugins["fx_greedy"].error is None
    assert manager.plugin_versions()["ml-genn-fx-greedy"] == "1.5"
    # Core keeps its name; one warning names the name, both plugins and both distributions
    inference = manager.registry.kind("compiler").entry("inference")
    assert inference.origin.plugin == "ml_genn.compilers"
    (collision,) = _about(messages, "fx_greedy")
    assert "compiler name 'inference' is registered twice" in collision
    assert "'ml_genn.compilers' (ml-genn " in collision
    assert "'fx_greedy' (ml-genn-fx-greedy 1.5)" in collision
    _assert_healthy_plugin_works(manager)


def test_first_claim_wins_whatever_tryfirst_or_trylast_says(site):
    # Core first, then entry points in sorted name order: 'fx_alpha' before 'fx_zulu', even though
    # fx_zulu marks its hook trylast (which pluggy would run before everyone else's)
    alpha = _claimer(site, "fx_alpha", ["fx_shared"])
    _claimer(site, "fx_zulu", ["inference", "fx_shared", "fx_zulu_only"], trylast=True)
    manager, messages = _load()
    compilers = manager.registry.kind("compiler")
    assert compilers.entry("inference").origin.plugin == "ml_genn.compilers"
    assert compilers.entry("fx_shared").origin.plugin == "fx_alpha"
    assert manager.registry.get("compiler", "fx_shared").__name__ == alpha
    assert "fx_zulu_only" in compilers
    # Core's other compilers are all there (a claim jumping ahead of core used to abort its hook)
    assert {"inference", "few_spike"} <= set(compilers.names())
    zulu = _about(messages, "'fx_zulu' (ml-genn-fx-zulu 1.5)")
    assert len(zulu) == 2
    assert len(_about(zulu, "compiler name 'inference'", "'ml_genn.compilers' (ml-genn ")) == 1
    assert len(_about(zulu, "compiler name 'fx_shared'", "'fx_alpha' (ml-genn-fx-alpha 1.5)")) == 1


def test_collision_in_strict_mode_raises(site):
    _claimer(site, "fx_greedy", ["inference", "fx_greedy_only"])
    manager = PluginManager(autoload=True, strict=True)
    with pytest.raises(DuplicateComponentError, match="'inference' is registered twice") as raised:
        manager.registry
    assert (raised.value.kind, raised.value.name) == ("compiler", "inference")
    assert raised.value.kept.plugin == "ml_genn.compilers"
    assert (raised.value.refused.plugin, raised.value.refused.distribution) == (
        "fx_greedy", "ml-genn-fx-greedy")


# ---------------------------------------------------------------------------
# One plugin name from two distributions: reported, and neither is loaded
# ---------------------------------------------------------------------------
def _twins(site):
    for letter, version in (("a", "1.0"), ("b", "2.0")):
        site.add(f"ml-genn-fx-twin-{letter}", version, {"fx_twin": f"fx_twin_{letter}_mod"}, {
            f"fx_twin_{letter}_mod": _CLAIMS.format(cls=f"Twin{letter.upper()}Compiler",
                                                     names=[f"fx_twin_{letter}"], opts="")})


def test_same_plugin_name_from_two_distributions_is_reported_and_neither_loads(site):
    _twins(site)
    manager, messages = _load()
    (warning,) = _about(messages, "fx_twin")
    assert "Plugin name 'fx_twin' is provided by more than one distribution" in warning
    assert "ml-genn-fx-twin-a 1.0" in warning and "ml-genn-fx-twin-b 2.0" in warning
    compilers = manager.registry.kind("compiler")
    assert "fx_twin_a" not in compilers and "fx_twin_b" not in compilers
    assert manager.get_plugin("fx_twin") is None
    versions = manager.plugin_versions()
    assert "ml-genn-fx-twin-a" not in versions and "ml-genn-fx-twin-b" not in versions
    _assert_healthy_plugin_works(manager)
    # Loading again does not report it again
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manager.load_entry_points()
    assert [str(w.message) for w in caught] == []


def test_plugins_command_lists_both_claimants_as_not_loaded(site, capsys):
    _twins(site)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        with fresh_plugin_manager(autoload=True):
            assert cli_main(["plugins", "--json"]) == 0
    rows = [row for row in json.loads(capsys.readouterr().out) if row["plugin"] == "fx_twin"]
    assert sorted((row["distribution"], row["version"]) for row in rows) == [
        ("ml-genn-fx-twin-a", "1.0"), ("ml-genn-fx-twin-b", "2.0")]
    for row in rows:
        assert row["components"] == []
        assert "plugin name 'fx_twin' is also provided by ml-genn-fx-twin-" in row["error"]


def test_disabling_one_twin_by_distribution_loads_the_other(site):
    _twins(site)
    manager, messages = _load(disabled=["ml-genn-fx-twin-b"])
    assert _about(messages, "fx_twin") == []
    assert manager.plugins["fx_twin"].distribution == "ml-genn-fx-twin-a"
    assert manager.registry.get("compiler", "fx_twin_a").__name__ == "TwinACompiler"
    assert manager.plugin_versions()["ml-genn-fx-twin-a"] == "1.0"


def test_same_plugin_name_in_strict_mode_raises(site):
    _twins(site)
    with pytest.raises(PluginLoadError, match="'fx_twin' is provided by more than one"):
        PluginManager(autoload=True, strict=True)


def test_entry_point_named_like_a_core_plugin_is_reported(site):
    site.add("ml-genn-fx-impostor", "0.9", {"ml_genn.models": "fx_impostor_mod"},
             {"fx_impostor_mod": _CLAIMS.format(cls="ImpostorCompiler", names=["fx_impostor"],
                                                opts="")})
    manager, messages = _load()
    (warning,) = _about(messages, "ml-genn-fx-impostor 0.9")
    assert "Plugin name 'ml_genn.models'" in warning
    assert "already used by plugin 'ml_genn.models' (ml-genn " in warning
    assert manager.plugins["ml_genn.models"].builtin
    assert "fx_impostor" not in manager.registry.kind("compiler")
