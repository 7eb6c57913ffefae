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


def _locate(message: str, source: str, templates: Path) -> str:
    match = _POSITION.search(message)
    if not match:
        return f"MJML compiler: {message} (see the .mjml written by `newsletter build`)"
    offset = int(match.group(1))
    prefix = source.encode("utf-8")[:offset].decode("utf-8", errors="ignore")
    line_no = prefix.count("\n") + 1
    line = source.splitlines()[line_no - 1] if source else ""
    where = _template_line(line, templates)
    snippet = line.strip()[:80]
    return f"{where}: MJML compiler: {message} (generated line {line_no}: {snippet!r})"


def _template_line(generated: str, templates: Path) -> str:
    """The template file and line whose static text starts ``generated``."""
    text = generated.strip()
    best: tuple[int, str] = (0, "generated MJML")
    for path in sorted(templates.rglob("*.mjml.j2")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            static = _STATIC.split(line.strip(), maxsplit=1)[0]
            if len(static) > best[0] and static and text.startswith(static):
                best = (len(static), f"{path}:{number}")
    return best[1]
