"""Rules for names: those code strings use bare, and those that only label things.

Params, vars, var refs and extra global params are C identifiers in generated code, so they
must be ASCII identifiers (:func:`check_name`). Groups, custom updates, update groups and
model classes only label things: they may be any text, non-ASCII included
(:func:`check_label`), and backends never put them into generated code as they are (the cpu
backend escapes them in comments and replaces them in ``#line`` directives; see
``ml_genn.backends.cpu.c_text``).
"""
from __future__ import annotations

import keyword
import re

from .errors import ModelSpecError

#: Matched whole (``fullmatch``): ``$`` would let a trailing newline through into C
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Names the code language defines itself; a model may not declare them.
RESERVED = frozenset("""
t dt id batch num_neurons num_batch Isyn id_pre id_post id_syn num_pre num_post inSyn value
addToPost addToPostDelay addToPre injectCurrent addSynapse gennrand_uniform gennrand_normal
gennrand_exponential gennrand_log_normal gennrand_gamma gennrand_binomial scalar id_kernel
add_synapse remove_synapse for_each_synapse gennrand
auto break case char const continue default do double else enum extern float for goto if inline
int long register restrict return short signed sizeof static struct switch typedef union unsigned
void volatile while bool true false
exp expm1 log log1p sqrt pow sin cos tan tanh fabs fmin fmax floor ceil round fmod min max
""".split()) - {"min", "max", "value"}


def check_name(name: str, owner: str, what: str) -> str:
    """Check ``name`` can be used as a bare name in code and return it.

    Parameters
    ----------
    name
        A param, var, ref or extra global param name.
    owner
        The model declaring it, for the message.
    what
        What it names, for the message (e.g. ``"var"``).
    """
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ModelSpecError(f"{owner}: {what} name {name!r} is not a valid identifier "
                             f"(ASCII letters, digits and '_', not starting with a digit): code "
                             f"strings use it as a C name")
    if name in RESERVED or name.startswith("_") or keyword.iskeyword(name) and name in ("None",):
        raise ModelSpecError(f"{owner}: {what} name {name!r} is reserved by the code language "
                             f"or starts with '_'; rename it")
    return name


def check_label(name, what: str) -> str:
    """Check ``name`` can label a group, update group or model class and return it.

    Any non-empty string is accepted (mlGeNN accepts any population or connection name).

    Parameters
    ----------
    name
        The name given.
    what
        What it names, for the message (e.g. ``"Population"``).
    """
    if not isinstance(name, str) or not name:
        raise ModelSpecError(f"{what} name must be a non-empty string, got {name!r}")
    return name


def check_unique(names, owner: str) -> None:
    """Raise if a name appears twice among params, vars, refs and EGPs of one model."""
    seen = set()
    for n in names:
        if n in seen:
            raise ModelSpecError(f"{owner}: name {n!r} is declared more than once; params, vars, "
                                 f"var refs and extra global params share one namespace")
        seen.add(n)


def unique_identifier(name: str, taken: set) -> str:
    """An ASCII C identifier made from the label ``name`` (every other character becomes
    ``_``; a leading digit gets a ``_`` before it), unique within ``taken``, which it joins.

    Parameters
    ----------
    name
        Any label (a population's or connection's name, a model name).
    taken
        The identifiers already given out.
    """
    ident = re.sub(r"\W", "_", str(name), flags=re.ASCII)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    unique, n = ident, 1
    while unique in taken:
        unique, n = f"{ident}_{n}", n + 1
    taken.add(unique)
    return unique
