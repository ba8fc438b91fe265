"""The GeNN backends: ``genn`` (GeNN's best), ``cuda``, ``hip`` and ``single_threaded_cpu``.

``build`` translates the ModelSpec (:mod:`.translate`), has GeNN generate and compile it in a
build directory keyed by the model's content (so an unchanged model reuses GeNN's build, and
different models never share a directory), and returns a built model whose ``load`` gives the
runtime adapter (:mod:`.runtime`).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ml_genn.backends import Backend
from ml_genn.engine.errors import CodeCompileError
from ml_genn.errors import InvalidValueError

from .errors import PygennNotAvailableError
from .probe import pygenn_status, unavailable_reason

_BASE_PREFERENCES = ("optimize_code", "debug_code")
_CUDA_PREFERENCES = ("show_ptx_info", "generate_line_info", "enable_nvtx", "device_select_method",
                     "manual_device_id", "block_size_select_method", "manual_block_sizes",
                     "constant_cache_overhead", "enable_nccl_reductions")
_HIP_PREFERENCES = ("manual_device_id", "manual_block_sizes", "constant_cache_overhead",
                    "enable_nccl_reductions")


def build_root() -> Path:
    """Where GeNN builds go: ``$ML_GENN_GENN_BUILD_DIR``, else ``genn`` in the cpu backend's
    cache directory (``$ML_GENN_CACHE_DIR`` or ``~/.cache/ml_genn``)."""
    configured = os.environ.get("ML_GENN_GENN_BUILD_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("ML_GENN_CACHE_DIR") or Path.home() / ".cache" / "ml_genn") / "genn"


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` (two processes building one model wait for
    each other instead of writing GeNN's files at once)."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:     # not POSIX: no lock (builds of one model must not overlap)
        yield
        return
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _captured_output(log: List[str]) -> Iterator[None]:
    """Send this process's stdout and stderr (GeNN's log, make and the C++ compiler write
    there) to a file while GeNN builds; its text is appended to ``log``, for the error raised
    when the build fails."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 1)
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            capture.seek(0)
            log.append(capture.read().decode(errors="replace"))


class BuiltGeNNModel:
    """A model GeNN generated and compiled; ``load`` gives a runtime (one at a time).

    Attributes
    ----------
    spec
        The :class:`ml_genn.engine.ModelSpec`.
    translation
        The pygenn model and the group maps (:class:`~ml_genn_pygenn.translate.Translation`).
    backend_name
        The GeNN backend that compiled it.
    build_dir
        Where GeNN's generated code and library are.
    seed
        The seed of GeNN's random number generators.
    """

    def __init__(self, spec: Any, translation: Any, backend_name: str, build_dir: Path, seed: int):
        self.spec = spec
        self.translation = translation
        self.backend_name = backend_name
        self.build_dir = build_dir
        self.seed = seed

    @property
    def separate_device_memory(self) -> bool:
        """Whether the backend keeps device copies apart from the host's (every GPU backend;
        GeNN's single-threaded CPU backend runs on the host arrays themselves), so that the
        runtime must transfer."""
        return self.backend_name != "single_threaded_cpu"

    def load(self, num_recording_timesteps: Optional[int] = None) -> Any:
        """Allocate and initialise the model on the GeNN backend.

        Parameters
        ----------
        num_recording_timesteps
            Length of the spike recording buffers (None: no recording).
        """
        from .runtime import GeNNRuntime
        return GeNNRuntime(self, num_recording_timesteps)


class GeNNBackend(Backend):
    """GeNN through pygenn, on the best backend pygenn has (its own choice: CUDA, then HIP,
    then the single-threaded CPU backend).

    Parameters
    ----------
    **kwargs
        Accepted for symmetry with the cpu backend; GeNN's preferences come from the
        compiler's extra keyword arguments (``model_options``).
    """

    name = "genn"
    #: The GeNN backend module, None for pygenn's best
    genn_backend: Optional[str] = None
    model_options: Tuple[str, ...] = tuple(dict.fromkeys(_BASE_PREFERENCES + _CUDA_PREFERENCES
                                                         + _HIP_PREFERENCES))

    def __init__(self, **kwargs: Any):
        reason = unavailable_reason(self.genn_backend)
        if reason is not None:
            raise PygennNotAvailableError(f"Backend '{self.name}' runs on GeNN: {reason}")
        self.options = kwargs

    @property
    def backend_module(self) -> str:
        """The GeNN backend module this backend builds with."""
        return self.genn_backend or pygenn_status().best_backend

    def _preferences(self, spec: Any) -> Dict[str, Any]:
        preferences = dict(spec.backend_kwargs)
        allowed = {"single_threaded_cpu": _BASE_PREFERENCES,
                   "cuda": _BASE_PREFERENCES + _CUDA_PREFERENCES,
                   "hip": _BASE_PREFERENCES + _HIP_PREFERENCES}.get(self.backend_module, ())
        unknown = sorted(k for k in preferences if k not in allowed)
        if unknown:
            raise InvalidValueError(f"Backend '{self.name}' (GeNN's '{self.backend_module}'): "
                                    f"option(s) {unknown} are not preferences of that GeNN "
                                    f"backend; it takes {', '.join(allowed) or 'none'}")
        return preferences

    def build(self, spec: Any) -> BuiltGeNNModel:
        """Translate ``spec`` to pygenn, generate and compile it (reusing an identical build).

        Parameters
        ----------
        spec
            The :class:`ml_genn.engine.ModelSpec` to build.
        """
        from .errors import UnsupportedOnGeNNError
        from .translate import translate
        spec.finalize()
        # Seed 0: GeNN draws its generators' seed; shuffling and other host draws that ask
        # the runtime for "the seed" get one drawn here
        seed = int(spec.seed) or (int.from_bytes(os.urandom(8), "little") or 1)
        backend = self.backend_module
        where = f"Model '{spec.model_name}' on GeNN backend '{backend}'"
        log: List[str] = []
        try:
            with _captured_output(log):
                translation = translate(spec, backend, self._preferences(spec))
        except (UnsupportedOnGeNNError, InvalidValueError):
            raise
        except Exception as exc:  # noqa: BLE001 - pygenn raises bare RuntimeErrors
            raise CodeCompileError(f"{where}: pygenn refused the model: {type(exc).__name__}: "
                                   f"{exc}{_tail(log)}", "".join(log)) from exc
        digest = hashlib.sha256("\n".join(translation.fingerprint).encode()).hexdigest()[:16]
        directory = build_root() / f"{translation.model.name}-{backend}-{digest}"
        try:
            with _locked(directory), _captured_output(log):
                translation.model.build(str(directory))
        except Exception as exc:  # noqa: BLE001 - code generation or make failed
            raise CodeCompileError(f"{where}: GeNN could not generate or compile it "
                                   f"({type(exc).__name__}: {exc}); build directory "
                                   f"{directory}{_tail(log)}", "".join(log)) from exc
        return BuiltGeNNModel(spec, translation, backend, directory, seed)


def _tail(log: List[str], lines: int = 25) -> str:
    """The end of GeNN's build output, for an error message."""
    text = "".join(log).strip().splitlines()
    return ("\nGeNN's output ends with:\n" + "\n".join(text[-lines:])) if text else ""


class CUDABackend(GeNNBackend):
    """GeNN's CUDA backend (NVIDIA GPUs)."""
    name = "cuda"
    genn_backend = "cuda"
    model_options = _BASE_PREFERENCES + _CUDA_PREFERENCES


class HIPBackend(GeNNBackend):
    """GeNN's HIP backend (AMD GPUs, or NVIDIA through HIP)."""
    name = "hip"
    genn_backend = "hip"
    model_options = tuple(dict.fromkeys(_BASE_PREFERENCES + _HIP_PREFERENCES))


class SingleThreadedCPUBackend(GeNNBackend):
    """GeNN's single-threaded CPU backend (batch size 1)."""
    name = "single_threaded_cpu"
    genn_backend = "single_threaded_cpu"
    model_options = _BASE_PREFERENCES
