"""Installs the third-party test distributions (tests/core/plugin_dists) into a private folder.

They are installed with pip, as a user would install a plugin, but into a target folder that only
the tests that ask for ``plugin_site`` put on ``sys.path`` (or ``PYTHONPATH``), so a deliberately
broken plugin never leaks into the rest of the suite.
"""
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DISTS_DIR = Path(__file__).resolve().parent.parent / "plugin_dists"
DISTS = ("ml_genn_demo", "ml_genn_broken", "ml_genn_collide")


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory):
    target = tmp_path_factory.mktemp("plugin_site")
    # Build from copies: setuptools writes build/ and *.egg-info next to the sources
    sources = tmp_path_factory.mktemp("plugin_sources")
    for dist in DISTS:
        shutil.copytree(DISTS_DIR / dist, sources / dist)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--no-deps", "--no-build-isolation", "--no-index", "--target", str(target),
           *(str(sources / d) for d in DISTS)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, f"installing test plugins failed:\n{result.stderr}"
    return target


@pytest.fixture
def plugins_on_path(plugin_site, monkeypatch):
    """Make the installed test distributions discoverable by this process."""
    monkeypatch.syspath_prepend(str(plugin_site))
    importlib.invalidate_caches()
    for var in ("ML_GENN_STRICT_PLUGINS", "ML_GENN_DISABLE_PLUGIN_AUTOLOAD",
                "ML_GENN_DISABLED_PLUGINS", "ML_GENN_TRACE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    return plugin_site
