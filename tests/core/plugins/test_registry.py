"""The component registry and get_object, independent of installed plugins."""
import types

import pytest

from ml_genn import hookimpl
from ml_genn.compilers import Compiler
from ml_genn.plugins import (ComponentNotFoundError, ComponentTypeError, DuplicateComponentError,
                             KindRegistry, PluginWarning)
from ml_genn.plugins.registry import KIND_BASE_CLASSES, KIND_HOOKS
from ml_genn.utils.module import get_object, get_object_mapping


class Base:
    pass


class Child(Base):
    def __init__(self, value=3):
        self.value = value


class NeedsArgs(Base):
    def __init__(self, required):
        self.required = required


def test_every_kind_has_a_registration_hook_and_base_class():
    assert set(KIND_HOOKS) == set(KIND_BASE_CLASSES)


def test_lazy_target_resolves_and_is_type_checked():
    table = KindRegistry("thing", Base)
    table.add("child", f"{__name__}:Child")
    table.add("wrong", "collections:OrderedDict")
    assert table.get("child") is Child
    with pytest.raises(ComponentTypeError, match="thing 'wrong'.*must be a subclass of"):
        table.get("wrong")


def test_class_target_checked_at_registration():
    table = KindRegistry("thing", Base)
    with pytest.raises(ComponentTypeError):
        table.add("dict", dict)


def test_duplicate_name_refused_and_first_kept():
    table = KindRegistry("thing", Base)
    table.add("child", Child)
    with pytest.raises(DuplicateComponentError, match="'child' is registered twice"):
        table.add("child", NeedsArgs)
    assert table.get("child") is Child


def test_unknown_name_lists_known_names():
    table = KindRegistry("thing", Base)
    table.add("child", Child)
    with pytest.raises(ComponentNotFoundError, match="No thing named 'kid'.*Known thing names: child"):
        table.get("kid")


def test_find_by_class_name_does_not_import():
    table = KindRegistry("thing", Base)
    table.add("lazy", "a_module_that_does_not_exist:Lazy")
    assert table.find_by_class_name("Lazy").name == "lazy"
    assert table.find_by_class_name("Other") is None


def _compiler_plugin(**components):
    plugin = types.SimpleNamespace()

    @hookimpl
    def ml_genn_register_compilers(registry):
        for name, target in components.items():
            registry.add(name, target)
    plugin.ml_genn_register_compilers = ml_genn_register_compilers
    return plugin


class CountingCompiler(Compiler):
    def __init__(self, dt=1.0):
        super().__init__(dt=dt)


class ArgCompiler(Compiler):
    def __init__(self, example_timesteps):
        super().__init__()


def test_get_object_copies_objects_and_builds_names(register_ml_genn_plugin):
    register_ml_genn_plugin(_compiler_plugin(counting=CountingCompiler, needs=ArgCompiler), "local")
    original = CountingCompiler(dt=0.5)
    copy = get_object(original, Compiler, "test compiler", "compiler")
    assert isinstance(copy, CountingCompiler) and copy is not original and copy.dt == 0.5
    built = get_object("counting", Compiler, "test compiler", "compiler")
    assert type(built) is CountingCompiler and built.dt == 1.0
    assert get_object(None, Compiler, "test compiler", "compiler") is None
    with pytest.raises(TypeError, match="'needs'.*needs arguments.*ArgCompiler"):
        get_object("needs", Compiler, "test compiler", "compiler")
    with pytest.raises(TypeError, match=r"test compiler must be a ml_genn.compilers.compiler."
                                        r"Compiler object or the name of a registered compiler, "
                                        r"got int: 3"):
        get_object(3, Compiler, "test compiler", "compiler")
    with pytest.raises(ComponentNotFoundError, match="No compiler named 'nope'"):
        get_object("nope", Compiler, "test compiler", "compiler")


def test_get_object_mapping(register_ml_genn_plugin):
    register_ml_genn_plugin(_compiler_plugin(counting=CountingCompiler), "local")
    shared = get_object_mapping("counting", ["a", "b"], Compiler, "c", "compiler")
    assert set(shared) == {"a", "b"} and shared["a"] is not shared["b"]
    per_key = get_object_mapping({"a": "counting", "b": CountingCompiler(dt=2.0)}, ["a", "b"],
                                 Compiler, "c", "compiler")
    assert per_key["b"].dt == 2.0
    with pytest.raises(KeyError, match="missing \\['b'\\]"):
        get_object_mapping({"a": "counting"}, ["a", "b"], Compiler, "c", "compiler")


def test_core_names_win_and_collision_names_both_plugins(register_ml_genn_plugin):
    with pytest.warns(PluginWarning) as record:
        register_ml_genn_plugin(_compiler_plugin(inference=CountingCompiler), "usurper",
                                distribution="ml-genn-usurper", version="9.9")
        from ml_genn.plugins import get_registry
        entry = get_registry().kind("compiler").entry("inference")
    assert entry.origin.plugin == "ml_genn.compilers"
    (warning,) = [w for w in record if "registered twice" in str(w.message)]
    message = str(warning.message)
    assert "'ml_genn.compilers' (ml-genn" in message
    assert "'usurper' (ml-genn-usurper 9.9)" in message
