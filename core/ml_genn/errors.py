"""Errors raised for bad user input.

mlGeNN raises ``RuntimeError`` for nearly every mistake in a network, its data or its
callbacks, and scripts written for it catch that type. ml_genn keeps the more precise built-in
types as well: its input errors are both a ``RuntimeError`` and the ``ValueError`` or
``TypeError`` that says what kind of mistake it is.
"""


class InvalidValueError(RuntimeError, ValueError):
    """A value of the right type but wrong content (shape, range, name, length)."""


class InvalidTypeError(RuntimeError, TypeError):
    """A value of the wrong type."""


class InvalidKeyError(RuntimeError, KeyError):
    """A mapping with missing or unexpected keys (populations in data dictionaries, loss
    mappings, callback data keys)."""

    def __str__(self) -> str:
        # KeyError quotes its argument; show the advice as written
        return str(self.args[0]) if self.args else ""


class CheckpointError(RuntimeError, ValueError):
    """A checkpoint that cannot be loaded as written: incomplete (its write was interrupted),
    damaged (a file's size or checksum differs from its manifest) or not matching the network
    (shapes, names, non-finite optimiser state)."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """Nothing is stored under the keys asked for (a mistyped folder or an epoch never written)."""
