"""Shared set-up of the recorder tests: a private engine cache and the reference helpers."""
import os
import sys

import pytest

# recorders_reference lives beside the tests
sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(scope="session", autouse=True)
def recorders_engine_cache(tmp_path_factory):
    """Keep models compiled by these tests out of the user's cache."""
    old = os.environ.get("ML_GENN_CACHE_DIR")
    os.environ["ML_GENN_CACHE_DIR"] = str(tmp_path_factory.mktemp("ml_genn_recorders_cache"))
    yield
    if old is None:
        os.environ.pop("ML_GENN_CACHE_DIR", None)
    else:
        os.environ["ML_GENN_CACHE_DIR"] = old
