"""Turning C compiler diagnostics into messages about the user's code strings."""
from __future__ import annotations

import re
from typing import Dict

from ...engine.errors import CodeCompileError
from .c_text import line_file_name

_DIAG = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?:(?P<col>\d+):)? (?:fatal )?error: (?P<msg>.*)$", re.M)


def raise_compile_error(model_name: str, diagnostics: str, code_labels: Dict[str, str], source: str,
                        block_ends: Dict[int, str] = None) -> None:
    """Raise :class:`CodeCompileError` naming ``Model.field:line`` and quoting the line.

    Parameters
    ----------
    model_name
        The model whose source failed to compile.
    diagnostics
        The compiler's output.
    code_labels
        ``Model.field`` -> code string, of every code string in the source.
    source
        The generated source.
    block_ends
        Generated line -> label of the code string that line closes.
    """
    messages = []
    # Diagnostics name the #line file names derived from the labels (any text) of the code
    files = {line_file_name(label): label for label in code_labels}
    # Plain quotes whatever the compiler's locale
    diagnostics = diagnostics.replace("\u2018", "'").replace("\u2019", "'")
    for m in _DIAG.finditer(diagnostics):
        label, line = m.group("file"), int(m.group("line"))
        label = label.rsplit("/", 1)[-1]
        label = files.get(label, label)
        if label not in code_labels and block_ends and line in block_ends and block_ends[line] in code_labels:
            # An unfinished expression is only noticed where generated code resumes:
            # blame the last line of the user's code string.
            label = block_ends[line]
            line = max(1, len(code_labels[label].splitlines()))
        if label in code_labels:
            lines = code_labels[label].splitlines()
            text = lines[line - 1] if 0 < line <= len(lines) else ""
            entry = f"{label}:{line}: {m.group('msg')}\n    {text.strip()}"
        else:
            entry = f"generated code {label}:{line}: {m.group('msg')}"
        if entry not in messages:
            messages.append(entry)
    if not messages:
        messages = [diagnostics.strip()[-2000:]]
    user = [e for e in messages if not e.startswith("generated code")]
    shown = user or messages
    raise CodeCompileError(f"Model '{model_name}' failed to compile:\n" + "\n".join(shown[:10]), diagnostics)
