"""The one module that knows the MJML compiler (``mjml-python``, i.e. MRML in Rust).

``compile_mjml`` turns MJML into HTML. MRML raises a bare ``ValueError`` with byte offsets on
broken MJML; we turn that into a ``RenderError`` naming the template file and line that most
likely produced the offending text. MRML adds a Google Fonts link unless ``fonts`` is given,
so we always pass ``fonts={}`` unless a web font is configured.
"""

from __future__ import annotations

import re
from pathlib import Path

import mjml

from mailer.errors import RenderError

_POSITION = re.compile(r"position (\d+)(?::(\d+))?")
_STATIC = re.compile(r"\{\{|\{%|\{#")

COLOR_SCHEME_META = (
    '<meta name="color-scheme" content="light dark">'
    '<meta name="supported-color-schemes" content="light dark">'
)


def compile_mjml(source: str, *, templates: Path, fonts: dict[str, str] | None = None) -> str:
    """Compile MJML to HTML, adding the dark-mode ``color-scheme`` meta tags."""
    try:
        html: str = mjml.mjml2html(source, disable_comments=True, fonts=fonts or {})
    except ValueError as exc:
        raise RenderError(_locate(str(exc), source, templates)) from None
    return html.replace("<head>", "<head>" + COLOR_SCHEME_META, 1)


_TAG = re.compile(r"<(/?)(mjml|mj-[a-z-]+)\b[^>]*?(/?)>")


def _unbalanced_line(source: str) -> int | None:
    """The line of the first MJML tag left open (or closed out of turn), if any."""
    stack: list[tuple[str, int]] = []
    for match in _TAG.finditer(source):
        closing, name, self_closing = match.groups()
        line = source.count("\n", 0, match.start()) + 1
        if self_closing:
            continue
        if not closing:
            stack.append((name, line))
        elif stack and stack[-1][0] == name:
            stack.pop()
        else:
            return stack[-1][1] if stack else line
    return stack[-1][1] if stack else None


def _locate(message: str, source: str, templates: Path) -> str:
    match = _POSITION.search(message)
    if match:
        offset = int(match.group(1))
        prefix = source.encode("utf-8")[:offset].decode("utf-8", errors="ignore")
        line_no = prefix.count("\n") + 1
    else:
        found = _unbalanced_line(source)
        if found is None:
            return f"MJML compiler: {message} (see the .mjml written by `newsletter build`)"
        line_no = found
    lines = source.splitlines()
    line = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
    where = _template_line(lines[line_no - 1 : line_no + 4], templates)
    snippet = line.strip()[:80]
    return f"{where}: MJML compiler: {message} (generated line {line_no}: {snippet!r})"


def _template_line(generated: list[str], templates: Path) -> str:
    """The template file and line whose static text best matches the ``generated`` lines."""
    best: tuple[int, int, str] = (0, 0, "generated MJML")
    for path in sorted(templates.rglob("*.mjml.j2")):
        statics = [
            _STATIC.split(line.strip(), maxsplit=1)[0]
            for line in path.read_text(encoding="utf-8").splitlines()
        ]
        for index in range(len(statics)):
            score = 0
            for offset, produced in enumerate(generated):
                static = statics[index + offset] if index + offset < len(statics) else ""
                if static and produced.strip().startswith(static):
                    score += 1
                elif offset == 0:
                    break
            if score and (score, len(statics[index])) > best[:2]:
                shown = path.relative_to(templates.parent)
                best = (score, len(statics[index]), f"{shown}:{index + 1}")
    return best[2]
