"""Communicators: parallel communication between the ranks (processes) of a data-parallel run.

:class:`Communicator` is the interface (mlGeNN's); :class:`MPI` implements it with mpi4py
(``pip install ml-genn[mpi]``), with a timeout on every collective operation that raises
:class:`CommunicatorTimeoutError` naming the ranks that never arrived.
"""
from .communicator import Communicator
from .errors import CommunicatorTimeoutError
from .mpi import MPI

__all__ = ["Communicator", "CommunicatorTimeoutError", "MPI"]
