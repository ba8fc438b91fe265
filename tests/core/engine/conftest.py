"""Fixtures of the engine tests (shared models and the build helper are in engine_models:
importing them from a module named conftest clashed with other test folders' conftest). The
build cache of the run is tests/conftest.py's ``engine_cache_dir``."""
