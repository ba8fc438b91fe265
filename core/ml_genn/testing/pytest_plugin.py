"""pytest fixtures shipped with ml_genn (see :mod:`ml_genn.testing`); defined in the top-level
``ml_genn_pytest`` module, which pytest loads through the ``pytest11`` entry point (a conftest may
also name ``pytest_plugins = ["ml_genn.testing.pytest_plugin"]``)."""
from ml_genn_pytest import ml_genn_plugin_manager, register_ml_genn_plugin  # noqa: F401
