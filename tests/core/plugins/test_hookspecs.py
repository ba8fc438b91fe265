"""Meta-tests: every hook is documented, and every hook is exercised somewhere in the tests."""
import inspect
from pathlib import Path

import pytest

from ml_genn import hookspecs

TESTS_ROOT = Path(__file__).resolve().parents[2]
HOOK_NAMES = sorted(name for name, obj in vars(hookspecs).items()
                    if name.startswith("ml_genn_") and inspect.isfunction(obj))


def test_there_are_hooks():
    assert len(HOOK_NAMES) >= 16


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_hook_is_documented(name):
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    summary = doc.splitlines()[0] if doc else ""
    assert summary.endswith("."), f"{name} needs a one-line summary"
    signature = inspect.signature(getattr(hookspecs, name))
    if signature.parameters:
        assert "Parameters" in doc, f"{name} must document its parameters"
        for param in signature.parameters:
            assert f"\n{param}\n" in f"\n{doc}\n", f"{name} must document parameter '{param}'"
    assert "Return" in doc, f"{name} must say what a return value means"
    assert "called" in doc.lower(), f"{name} must say when it is called"


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_hook_is_exercised_by_a_test_or_test_plugin(name):
    this_file = Path(__file__).resolve()
    users = [path for path in TESTS_ROOT.rglob("*.py")
             if path.resolve() != this_file and name in path.read_text(encoding="utf-8")]
    assert users, f"no test or test plugin implements or calls {name}"
