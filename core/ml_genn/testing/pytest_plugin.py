"""pytest fixtures shipped with ml_genn (see :mod:`ml_genn.testing`)."""
from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Callable, Iterator, Optional

import pytest

from .plugins import fresh_plugin_manager, registered_plugin


@pytest.fixture
def ml_genn_plugin_manager() -> Iterator[Any]:
    """A fresh plugin manager (no entry-point autoloading) installed for one test."""
    with fresh_plugin_manager() as manager:
        yield manager


@pytest.fixture
def register_ml_genn_plugin(ml_genn_plugin_manager: Any) -> Iterator[Callable[..., Any]]:
    """Register plugins on the test's fresh manager; they are removed when the test ends."""
    with ExitStack() as stack:
        def register(plugin: Any, name: Optional[str] = None, distribution: Optional[str] = None,
                     version: Optional[str] = None) -> Any:
            return stack.enter_context(registered_plugin(ml_genn_plugin_manager, plugin, name,
                                                         distribution, version))
        yield register
