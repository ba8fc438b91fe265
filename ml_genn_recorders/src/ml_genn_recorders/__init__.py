"""Spike, variable and connection recorders for ml_genn.

The recorders are callbacks: pass them to ``evaluate``/``train``/``predict`` and read what they
recorded from the returned ``cb_data`` under their ``key``. Installed, they are also reachable
at mlGeNN's path, ``from ml_genn.callbacks import SpikeRecorder``.

Recordings kept in memory are views of large pooled blocks: when a recording is dropped its
blocks are kept (up to 256 MiB) for the next one, which then writes into memory already
touched; ``release_pooled_memory()`` hands them back to the system.

This module stays cheap to import (the plugin entry point imports it): the recorder classes
load on first use.
"""
from importlib import import_module
from typing import Any

# Public name -> module that defines it; imported lazily by __getattr__
_LAZY = {
    "SpikeRecorder": "ml_genn_recorders.spike_recorder",
    "VarRecorder": "ml_genn_recorders.var_recorder",
    "ConnVarRecorder": "ml_genn_recorders.conn_var_recorder",
    "Recorder": "ml_genn_recorders.recorder",
    "RecordingMemoryWarning": "ml_genn_recorders.memory",
    "release_pooled_memory": "ml_genn_recorders.arena",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ml_genn_recorders' has no attribute '{name}'")
