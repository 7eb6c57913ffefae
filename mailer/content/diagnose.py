"""YAML syntax errors in plain English: the usual cause, where it is, and the fix.

PyYAML words an error as its parser sees it ("mapping values are not allowed here"); people
made one of a handful of mistakes: a ": " inside an unquoted value, curly quotes used as
quotes, a tab, a line indented too far or to no level at all, a quote never closed.
``diagnose`` recognises these from the error and the text around it and says so, at the spot
to fix. Only the error path runs this; a file that parses never does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from mailer.content import codes

CURLY_QUOTES = {"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'"}
_KEY = re.compile(r"^(?P<lead>[ ]*(?:-[ ]+)*)(?P<name>[^\s#:\"'][^:#]*?)[ ]*:(?=[ ]|$)")
_SUGGESTION_LIMIT = 60


@dataclass(frozen=True)
class Diagnosis:
    """What went wrong, at 1-based ``line`` and ``column``, with a stable ``code``."""

    line: int
    column: int
    message: str
    code: str


@dataclass(frozen=True)
class _Key:
    index: int  # 0-based line number
    name: str
    column: int  # 0-based column where the name starts
    colon: int  # 0-based column of its colon
    item: bool  # the first field of a list item ("- name: …")


def _key(lines: list[str], index: int) -> _Key | None:
    found = _KEY.match(lines[index])
    if found is None:
        return None
    name = found.group("name").strip()
    lead = found.group("lead")
    return _Key(index, name, len(lead), found.end() - 1, "-" in lead)


def _content_before(lines: list[str], index: int) -> int | None:
    """The nearest line above ``index`` that holds something other than a comment."""
    for n in range(index - 1, -1, -1):
        stripped = lines[n].strip()
        if stripped and not stripped.startswith("#"):
            return n
    return None


def _parent(lines: list[str], key: _Key) -> str:
    """The field ``key`` belongs to: the nearest key above it that is indented less."""
    item = key.item
    for n in range(key.index - 1, -1, -1):
        above = _key(lines, n)
        if above is not None and above.column < key.column:
            return f"this item of {above.name}" if item else above.name
        item = item or (above is not None and above.column == key.column and above.item)
    return "the issue"


def diagnose(text: str, exc: yaml.MarkedYAMLError) -> Diagnosis | None:
    """The plain-English reading of ``exc``, or ``None`` when it is none of the usual mistakes."""
    mark = exc.problem_mark
    lines = text.splitlines() or [""]
    if mark is None:
        return None
    problem = exc.problem or ""
    if "'\\t'" in problem:
        return Diagnosis(
            mark.line + 1,
            mark.column + 1,
            "this line is indented with a tab; YAML needs spaces: replace the tab with spaces",
            codes.YAML_TAB,
        )
    if exc.context == "while scanning a quoted scalar" and exc.context_mark is not None:
        return _unclosed_quote(lines, exc.context_mark.line, exc.context_mark.column)
    if problem == "could not find expected ':'" and exc.context_mark is not None:
        return _no_colon(lines, exc.context_mark.line, exc.context_mark.column)
    if problem == "mapping values are not allowed here":
        return _stray_colon(lines, mark.line, mark.column)
    if problem.startswith("expected <block end>"):
        return _mismatch(lines, mark.line)
    return None


def _unclosed_quote(lines: list[str], index: int, column: int) -> Diagnosis:
    line = lines[index]
    opening = line[column]
    last = line.rstrip()[-1:]
    if last in CURLY_QUOTES and len(line.rstrip()) - 1 > column:
        return Diagnosis(
            index + 1,
            len(line.rstrip()),
            f"{last} is a typographic (curly) quote, which YAML does not read as a quote, "
            f"so the text is never closed; type a straight {opening} instead",
            codes.YAML_CURLY_QUOTES,
        )
    return Diagnosis(
        index + 1,
        column + 1,
        f"the quote {opening} that starts this text is never closed; "
        f"add a closing {opening} at the end of the value",
        codes.YAML_UNCLOSED_QUOTE,
    )


def _no_colon(lines: list[str], index: int, column: int) -> Diagnosis:
    text = lines[index][column:].strip()
    shown = text if len(text) <= _SUGGESTION_LIMIT // 2 else text[: _SUGGESTION_LIMIT // 2] + "…"
    return Diagnosis(
        index + 1,
        column + 1,
        f"{shown!r} is not a field: a field is a name, a colon and a space, then the value "
        "(name: value); if this text continues the value above, indent it further than that "
        "field's name",
        codes.YAML_NO_COLON,
    )


def _quoted(value: str) -> str:
    if len(value) > _SUGGESTION_LIMIT:
        value = value[: _SUGGESTION_LIMIT - 10].rstrip() + "…"
    if '"' in value:
        return "'" + value.replace("'", "''") + "'"
    return f'"{value}"'


def _stray_colon(lines: list[str], index: int, column: int) -> Diagnosis | None:
    key = _key(lines, index)
    if key is not None and key.colon == column:
        return _too_far(lines, key)
    line = lines[index]
    start = key.colon + 1 if key is not None else 0
    start += len(line[start:]) - len(line[start:].lstrip())
    value = line[start:].rstrip()
    name = f"{key.name}: " if key is not None else ""
    if value[:1] in CURLY_QUOTES:
        inner = value[1:-1] if value[-1:] in CURLY_QUOTES else value[1:]
        return Diagnosis(
            index + 1,
            start + 1,
            f"the text starts with the typographic (curly) quote {value[0]}, which YAML does "
            "not read as a quote, so the ': ' inside it looks like a new field; use straight "
            f"quotes: {name}{_quoted(inner)}",
            codes.YAML_CURLY_QUOTES,
        )
    return Diagnosis(
        index + 1,
        column + 1,
        "the text contains ': ', which YAML reads as the start of a new field; "
        f"put the text in quotes: {name}{_quoted(value)}",
        codes.YAML_UNQUOTED_COLON,
    )


def _too_far(lines: list[str], key: _Key) -> Diagnosis:
    above = _content_before(lines, key.index)
    previous = _key(lines, above) if above is not None else None
    if previous is None or previous.column >= key.column:
        message = (
            f"{key.name} is indented more than the line above it, so YAML reads it as more of "
            "that line's text; line it up with the field above it"
        )
    else:
        message = (
            f"{key.name} is indented more than {previous.name} on line {previous.index + 1}, "
            f"so YAML reads it as more of that value; line it up with {previous.name} "
            f"({previous.column} spaces) to make it a field of {_parent(lines, previous)}"
        )
    return Diagnosis(key.index + 1, key.column + 1, message, codes.YAML_INDENT_TOO_FAR)


def _mismatch(lines: list[str], index: int) -> Diagnosis | None:
    key = _key(lines, index) if index < len(lines) else None
    if key is None:
        return None
    sibling = None
    for n in range(index - 1, -1, -1):
        above = _key(lines, n)
        if above is not None and above.column > key.column:
            sibling = sibling or above
        elif above is not None:
            break
    hint = ""
    if sibling is not None:
        hint = (
            f"; to make it a field of {_parent(lines, sibling)}, line it up with "
            f"{sibling.name} ({sibling.column} spaces)"
        )
    return Diagnosis(
        index + 1,
        key.column + 1,
        f"{key.name} is indented by {key.column} spaces, which lines up with no field "
        f"above it{hint}",
        codes.YAML_INDENT_MISMATCH,
    )
