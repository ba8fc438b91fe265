"""Errors raised by the engine IR and its backends."""
from __future__ import annotations


class EngineError(Exception):
    """Base class of every error raised by the engine and its backends."""


class ModelSpecError(EngineError, ValueError):
    """A model, snippet, group or reference in a :class:`ModelSpec` is invalid."""


class CodeCompileError(EngineError):
    """Generated code, usually a user code string, failed to compile.

    Parameters
    ----------
    message
        Human-readable message; names the model, the code field and the line.
    diagnostics
        The C compiler's raw output, kept for debugging.
    """

    def __init__(self, message: str, diagnostics: str = ""):
        super().__init__(message)
        self.diagnostics = diagnostics


class CompilerNotFoundError(EngineError, RuntimeError):
    """No usable C compiler was found on this machine."""


class RuntimeStateError(EngineError, RuntimeError):
    """A runtime operation was asked for something the loaded model cannot do."""
