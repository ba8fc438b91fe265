"""GeNN's single-threaded CPU backend with host and device memory kept apart, so that the
runtime adapter's transfers are checked as a GPU would check them, on a machine without one.

On the single-threaded CPU backend pygenn's host view of an array *is* the memory the
generated code runs on, so a missing ``push_to_device`` or ``pull_from_device`` changes
nothing there, and a conformance test on it cannot see one. Here every array pygenn obtains
from its runtime is wrapped: pygenn and the adapter see a separate host copy, the generated
code keeps running on the real memory (the "device"), and only ``push_to_device`` /
``pull_from_device`` / ``pull_recording_buffers_from_device`` move bytes between them, as
does ``initialize_sparse``, which pushes what the host initialised, as GeNN does (every host
copy no longer all ``0xFF``: an array GeNN expects from the host that nobody wrote is left
as the device has it, where a GPU would hold garbage).
Host copies start filled with ``0xFF`` bytes (NaN for floats, -1 for integers), so reading
anything never pulled shows up at once.

What it cannot check: code GeNN itself runs on the host (a custom connectivity update's
``host_update_code``) works on the real memory directly here, as GeNN's CPU backend does.
"""
from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterator, Optional, Tuple

import numpy as np

from ml_genn_pygenn.backend import BuiltGeNNModel, SingleThreadedCPUBackend

#: GeNN's names of the arrays ``pull_recording_buffers_from_device`` copies
_RECORDING_ARRAYS = ("recordSpk", "recordSpkEvent", "srcRecordSpkEvent", "trgRecordSpkEvent")


class SeparateHostArray:
    """One of GeNN's arrays with a host copy of its own."""

    def __init__(self, device_array: Any):
        self._device = device_array
        size = len(memoryview(device_array.host_view).cast("B"))
        self._storage = np.full(size, 0xFF, dtype=np.uint8)

    @property
    def host_view(self) -> np.ndarray:
        # A view, not the owner: pygenn asserts its views do not own their data
        return self._storage[:]

    def _device_bytes(self) -> np.ndarray:
        return np.frombuffer(memoryview(self._device.host_view).cast("B"), dtype=np.uint8)

    def push_to_device(self) -> None:
        self._device_bytes()[...] = self._storage

    def pull_from_device(self) -> None:
        np.copyto(self._storage, self._device_bytes())


class SeparateHostRuntime:
    """pygenn's ``Runtime`` whose arrays are :class:`SeparateHostArray` (everything else is
    the real runtime's)."""

    def __init__(self, *args: Any):
        from pygenn._runtime import Runtime
        object.__setattr__(self, "_real", Runtime(*args))
        object.__setattr__(self, "_arrays", {})

    def get_array(self, group: Any, name: str) -> SeparateHostArray:
        key = (id(group), name)
        array = self._arrays.get(key)
        if array is None:
            array = self._arrays[key] = SeparateHostArray(self._real.get_array(group, name))
        return array

    def allocate_array(self, group: Any, name: str, size: int) -> None:
        self._real.allocate_array(group, name, size)
        self._arrays.pop((id(group), name), None)     # a new allocation: a new host copy

    def initialize_sparse(self) -> None:
        # GeNN pushes the arrays the host initialises (its "uninitialised" ones) here, from
        # the host copies: here those are the copies pygenn wrote (no longer all 0xFF)
        for array in self._arrays.values():
            if (array._storage != 0xFF).any():
                array.push_to_device()
        self._real.initialize_sparse()

    def pull_recording_buffers_from_device(self) -> None:
        self._real.pull_recording_buffers_from_device()
        for (_, name), array in self._arrays.items():
            if name in _RECORDING_ARRAYS:
                array.pull_from_device()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._real, name, value)


@contextlib.contextmanager
def _separate_host_memory() -> Iterator[None]:
    import pygenn.genn_model as genn_model
    saved = genn_model.Runtime
    genn_model.Runtime = SeparateHostRuntime
    try:
        yield
    finally:
        genn_model.Runtime = saved


class SeparateHostBuiltModel(BuiltGeNNModel):
    """A built model whose runtime keeps host copies apart (and transfers as on a GPU)."""

    separate_device_memory = True

    def load(self, num_recording_timesteps: Optional[int] = None) -> Any:
        with _separate_host_memory():
            return super().load(num_recording_timesteps)


class SeparateHostMemoryBackend(SingleThreadedCPUBackend):
    """``single_threaded_cpu`` with separate host memory: registered by the backend tests as
    ``single_threaded_cpu_separate_host``."""

    name = "single_threaded_cpu_separate_host"

    def build(self, spec: Any) -> SeparateHostBuiltModel:
        built = super().build(spec)
        return SeparateHostBuiltModel(built.spec, built.translation, built.backend_name,
                                      built.build_dir, built.seed)


def register() -> None:
    """Add :class:`SeparateHostMemoryBackend` to the backend registry (once)."""
    from ml_genn.plugins.manager import get_registry
    table = get_registry().kind("backend")
    if SeparateHostMemoryBackend.name not in table.names():
        table.add(SeparateHostMemoryBackend.name, SeparateHostMemoryBackend)
