"""Names from Python made safe to appear in generated C.

Group, custom update, update group and model class names may be any Python string (mlGeNN
accepts any population or connection name, and model classes may have non-ASCII names). The
generated C is plain ASCII whatever the names, and a name reaches it in one of three ways:

* **C identifiers** never hold a name: arrays, kernels and readers are numbered (``A3``,
  ``_neuron_update_0``). Only param, var, ref and EGP names, which code strings use bare and
  :func:`ml_genn.engine.names.check_name` restricts to ASCII identifiers, are C identifiers.
* **Comments** hold the name escaped by :func:`comment_text`: readable, on one line, unable
  to close the comment.
* **``#line`` file names** hold the token :func:`line_file_name` derives from a code label
  (``Model.field``): the label itself where it is plain, else a sanitised copy with a hash of
  the original. Compilers print ``#line`` names unescaped in their diagnostics (a newline or
  ``:`` in one would break the parsing of every message), so the token contains neither, and
  :mod:`.compile_errors` maps it back to the user's label.
"""
from __future__ import annotations

import hashlib
import re

#: Characters a label may hold to be its own ``#line`` file name: nothing a diagnostic
#: parser splits on (``:``, ``/``), nothing a C string literal escapes
_PLAIN_LABEL = re.compile(r"[A-Za-z0-9_.\-]+")   # matched whole
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9_\-]")
#: Separates a sanitised label from its hash; absent from plain labels, so the two never meet
HASH_MARK = "~"
#: Inside a comment: the two-character sequences that open or close one (``/*`` only
#: warns, ``*/`` ends the comment) and ``??``, the start of a trigraph (``??/`` is a
#: backslash where trigraphs are on)
_COMMENT_BREAKERS = re.compile(r"(?<=\*)(?=/)|(?<=/)(?=\*)|(?<=\?)(?=\?)")


def utf8(text: str) -> bytes:
    """``text`` as UTF-8, lone surrogates included (a Python ``str`` may hold them)."""
    return text.encode("utf-8", "surrogatepass")


_NAMED_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(c: str) -> str:
    if c in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[c]
    if " " <= c <= "~":
        return c
    code = ord(c)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def comment_text(text: str) -> str:
    """``text`` as it may appear inside a one-line ``/* ... */`` comment of generated C.

    Printable ASCII stays as it is; a backslash is doubled; control and non-ASCII characters
    become Python-style escapes (``\\n``, ``\\xe4``, ``\\u795e``), so the comment stays on
    its line and the source ASCII; a backslash goes between the characters of ``*/``,
    ``/*`` and ``??``.

    Parameters
    ----------
    text
        Any string (a group or update group name, or a key of them).
    """
    escaped = "".join(_escape_char(c) for c in str(text))
    return _COMMENT_BREAKERS.sub(r"\\", escaped)


def c_comment(text: str) -> str:
    """A one-line C comment holding ``text`` (escaped by :func:`comment_text`).

    Parameters
    ----------
    text
        Any string.
    """
    return f"/* {comment_text(text)} */"


def line_file_name(label: str) -> str:
    """The file name a ``#line`` directive gives for the code string labelled ``label``.

    A plain label (ASCII letters, digits, ``_``, ``-``, ``.``) is its own file name, so that
    compiler output names ``MyNeuron.sim_code``. Any other becomes its model part with each
    other character replaced by ``_``, ``~`` and 8 hex digits of a hash of the whole label,
    then its field: ``h_user~1a2b3c4d.sim_code``. Distinct labels get distinct names (short of
    a hash collision), and the name needs no escaping in a C string literal.

    Parameters
    ----------
    label
        ``Model.field``, where ``Model`` is any class name.
    """
    if _PLAIN_LABEL.fullmatch(label):
        return label
    model, dot, field = label.rpartition(".")
    if not dot or not _PLAIN_LABEL.fullmatch(field):
        model, field = label, ""
    digest = hashlib.sha256(utf8(label)).hexdigest()[:8]
    return _NOT_PLAIN.sub("_", model) + HASH_MARK + digest + (f".{field}" if field else "")
