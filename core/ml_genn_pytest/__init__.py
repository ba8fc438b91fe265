"""The pytest plugin ml_genn installs (entry point ``pytest11``): the fixtures of
:mod:`ml_genn.testing`.

It lives outside the ``ml_genn`` package and imports ``ml_genn`` only when a fixture is used:
pytest loads ``pytest11`` plugins before ``pytest-cov`` or ``coverage`` start measuring, and an
import of ``ml_genn`` here would hide every line run at import time from coverage reports.
"""
from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Callable, Iterator, Optional

import pytest


@pytest.fixture
def ml_genn_plugin_manager() -> Iterator[Any]:
    """A fresh plugin manager (no entry-point autoloading) installed for one test."""
    from ml_genn.testing.plugins import fresh_plugin_manager
    with fresh_plugin_manager() as manager:
        yield manager


@pytest.fixture
def register_ml_genn_plugin(ml_genn_plugin_manager: Any) -> Iterator[Callable[..., Any]]:
    """Register plugins on the test's fresh manager; they are removed when the test ends."""
    from ml_genn.testing.plugins import registered_plugin
    with ExitStack() as stack:
        def register(plugin: Any, name: Optional[str] = None, distribution: Optional[str] = None,
                     version: Optional[str] = None) -> Any:
            return stack.enter_context(registered_plugin(ml_genn_plugin_manager, plugin, name,
                                                         distribution, version))
        yield register
