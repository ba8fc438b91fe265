"""Settings of the whole test run.

One engine build cache serves every test of a run (and the subprocesses they start), outside the
user's cache: pytest's cache folder (``.pytest_cache``, so that later runs reuse what earlier ones
compiled), or a temporary folder when pytest's cache is off (``-p no:cacheprovider``). Tests that
need a cold or damaged cache make their own.
"""
import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def engine_cache_dir(request, tmp_path_factory):
    """The run's engine build cache (``ML_GENN_CACHE_DIR``)."""
    old = os.environ.get("ML_GENN_CACHE_DIR")
    cache = getattr(request.config, "cache", None)
    path = cache.mkdir("ml_genn_build_cache") if cache is not None \
        else tmp_path_factory.mktemp("ml_genn_build_cache")
    os.environ["ML_GENN_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("ML_GENN_CACHE_DIR", None)
    else:
        os.environ["ML_GENN_CACHE_DIR"] = old
