"""The backend tests' own backend: GeNN's single-threaded CPU backend with separate host
memory (``device_emulation``), registered for every test where pygenn is installed."""
import pytest

from backends_harness import genn_skip_reason


@pytest.fixture(autouse=True)
def separate_host_backend():
    """Register ``single_threaded_cpu_separate_host`` in the current backend registry (tests
    may swap the plugin manager, and with it the registry)."""
    if genn_skip_reason("single_threaded_cpu") is None:
        import device_emulation
        device_emulation.register()
    yield
