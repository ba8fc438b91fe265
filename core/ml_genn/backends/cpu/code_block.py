"""Emitting user code strings into generated C.

Each code string is wrapped in ``#define``s for the names it may use (params, vars,
refs, ``addToPost`` ...), and in ``#line`` directives naming ``Model.field`` so that C
compiler messages point at the user's code, not at generated C. A model's class name may be
any text: the directive names the token :func:`.c_text.line_file_name` derives from the label.
"""
from __future__ import annotations

import math
import re
from typing import Dict, List, Optional

from .c_text import line_file_name

#: Placeholder replaced by the real next line number once the source is assembled.
RESUME_MARK = "#line @RESUME@"


def uses(code: str, name: str) -> bool:
    """Whether ``name`` appears as a whole word in ``code``."""
    return re.search(r"\b" + re.escape(name) + r"\b", code or "") is not None


def uses_rng(*codes: str) -> bool:
    return any("gennrand" in (c or "") for c in codes)


def const_expr(value, type_name: str) -> str:
    """C expression for a constant parameter value of ``type_name``."""
    if type_name in ("scalar", "float", "double"):
        v = float(value)
        if math.isnan(v):
            lit = "NAN"
        elif math.isinf(v):
            lit = "INFINITY" if v > 0 else "(-INFINITY)"
        else:
            lit = repr(v)
        return f"(({type_name}){lit})"
    ctype = {"int": "int32_t", "unsigned int": "uint32_t", "bool": "bool"}.get(type_name, type_name)
    return f"(({ctype}){int(value)})"


def delayed_macro(name: str) -> str:
    """Name of the function-like macro a delayed read ``name[d]`` is rewritten to."""
    return f"_delayed_{name}"


def rewrite_delayed_reads(code: str, names) -> str:
    """Rewrite GeNN 5's delayed reads ``name[expr]`` into ``_delayed_name(expr)`` calls.

    The C preprocessor cannot match a subscript, so each ``name[...]`` (brackets matched,
    nesting allowed) becomes a function-like macro call the backend defines.
    """
    if not code or not names:
        return code
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\s*\[")
    while True:
        m = pattern.search(code)
        if m is None:
            return code
        depth, end = 1, m.end()
        while end < len(code) and depth:
            depth += {"[": 1, "]": -1}.get(code[end], 0)
            end += 1
        if depth:
            # Unbalanced: leave it for the C compiler to report at the user's line
            return code
        code = code[:m.start()] + f"{delayed_macro(m.group(1))}(" + code[m.end():end - 1] + ")" + code[end:]


class CodeEmitter:
    """Collects user code strings by label so compiler errors can quote them."""

    def __init__(self):
        self.labels: Dict[str, str] = {}
        #: ``#line`` file name -> the label it stands for
        self.files: Dict[str, str] = {}

    def block(self, env: Dict[str, str], code: str, label: str, indent: str = "    ",
              expression: bool = False, target: str = "", scoped: bool = True) -> List[str]:
        """Lines for ``code`` with ``env`` defined around it.

        Parameters
        ----------
        env
            Macro name (or ``name(args)``) -> replacement.
        code
            The user's code string.
        label
            ``Model.field``: names the code in compiler messages (through the ``#line``
            file name derived from it).
        expression
            Emit ``target = (code);`` instead of a statement block.
        scoped
            Wrap statements in braces; without, the code's declarations stay visible to the
            code emitted after it in the same scope.
        """
        self.labels[label] = code
        file_name = line_file_name(label)
        self.files[file_name] = label
        out = []
        for name, expr in env.items():
            out.append(f"#define {name} {expr}")
        if expression:
            out.append(f"{indent}{target} = (")
        elif scoped:
            out.append(f"{indent}{{")
        out.append(f'#line 1 "{file_name}"')
        out.extend(code.splitlines() or [""])
        out.append(RESUME_MARK)
        if expression:
            out.append(f"{indent});")
        elif scoped:
            out.append(f"{indent}}}")
        for name in env:
            out.append(f"#undef {name.split('(')[0]}")
        return out


def resolve_line_marks(source_lines: List[str], file_name: str,
                       labels: Optional[Dict[str, str]] = None):
    """Replace each resume mark with a ``#line`` pointing back into the generated file.

    Returns the source and ``{generated line: label}`` for the line closing each user
    block, where errors about an unfinished user expression are reported.

    Parameters
    ----------
    source_lines
        The generated lines, with the resume marks of :meth:`CodeEmitter.block`.
    file_name
        The generated file's name, for the directives resuming generated code.
    labels
        ``#line`` file name -> label (:attr:`CodeEmitter.files`); a name not in it is its
        own label.
    """
    labels = labels or {}
    out, block_ends, label = [], {}, None
    for i, line in enumerate(source_lines):
        if line == RESUME_MARK:
            # The line after the directive is line i+2 (1-based) of the generated file.
            out.append(f'#line {i + 2} "{file_name}"')
            block_ends[i + 2] = label
        else:
            if line.startswith('#line 1 "'):
                name = line[len('#line 1 "'):-1]
                label = labels.get(name, name)
            out.append(line)
    return "\n".join(out) + "\n", block_ends
