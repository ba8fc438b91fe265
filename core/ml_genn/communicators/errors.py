"""Errors raised by communicators."""
from __future__ import annotations

from typing import Sequence, Tuple


class CommunicatorTimeoutError(RuntimeError, TimeoutError):
    """A collective operation did not complete on every rank within the communicator's timeout.

    It is a ``RuntimeError`` (what mlGeNN scripts catch) and a ``TimeoutError``. Besides the
    message, it carries what the diagnosis found, for programs that want to react to it.

    Args:
        message:        Full explanation with advice
        collective:     Name of the operation that timed out, e.g. ``"barrier"``
        sequence:       Its number among this communicator's collective operations (from 1)
        waited:         Seconds this rank waited
        missing_ranks:  Ranks never heard from: they did not reach any collective in time
        waiting_ranks:  Ranks that reported waiting too, as ``(rank, sequence, collective)``
    """

    def __init__(self, message: str, collective: str = "", sequence: int = 0,
                 waited: float = 0.0, missing_ranks: Sequence[int] = (),
                 waiting_ranks: Sequence[Tuple[int, int, str]] = ()):
        super().__init__(message)
        self.collective = collective
        self.sequence = sequence
        self.waited = waited
        self.missing_ranks = tuple(missing_ranks)
        self.waiting_ranks = tuple(waiting_ranks)
