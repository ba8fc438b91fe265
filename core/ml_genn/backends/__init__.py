"""Engine backends: build a ModelSpec and run it (``"cpu"`` is built in)."""
from .backend import Backend

__all__ = ["Backend"]
