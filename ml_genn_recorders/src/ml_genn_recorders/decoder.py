"""The background thread that decodes spike recordings while the engine runs on."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

_decoder: Optional[ThreadPoolExecutor] = None
_lock = threading.Lock()


def background_decoder() -> ThreadPoolExecutor:
    """The process-wide single decoding thread, started on first use.

    One thread for all recorders: decoding is native code that releases the GIL, so it runs
    alongside the engine's next batch; more threads would only compete with the engine's own.
    """
    global _decoder
    with _lock:
        if _decoder is None:
            _decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ml_genn_spike_decoder")
        return _decoder
