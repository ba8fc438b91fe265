"""Fixtures of the engine tests (shared models and the build helper are in engine_models:
importing them from a module named conftest clashed with other test folders' conftest)."""
import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def engine_cache_dir(tmp_path_factory):
    """Keep compiled test models out of the user's cache, shared across this session."""
    old = os.environ.get("ML_GENN_CACHE_DIR")
    path = tmp_path_factory.mktemp("ml_genn_cache")
    os.environ["ML_GENN_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("ML_GENN_CACHE_DIR", None)
    else:
        os.environ["ML_GENN_CACHE_DIR"] = old
