"""What differs between two versions of an issue, said so that a reviewer can act on it.

Pure functions over values and folders, no git and no browser: field paths of the YAML data
(``stories[1].title changed``, with before and after values), the files an email is made of
(templates it uses, images it shows, ``newsletter.yaml``), and a unified diff of the plain-text
part.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import jinja2
import jinja2.meta

from mailer.content.source import Loc, format_loc

Kind = Literal["field", "settings", "template", "image"]
How = Literal["changed", "added", "removed"]


@dataclass(frozen=True)
class Change:
    """One difference: a field of the issue or settings, or a file the email is made of."""

    kind: Kind
    path: str
    how: How
    before: object = None
    after: object = None

    def __str__(self) -> str:
        label = {"field": "", "settings": "newsletter.yaml ", "template": "template "}
        prefix = label.get(self.kind, f"{self.kind} ")
        return f"{prefix}{self.path} {self.how}"

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "path": self.path,
            "change": self.how,
            "before": self.before,
            "after": self.after,
            "summary": str(self),
        }


def field_changes(before: object, after: object, kind: Kind = "field") -> list[Change]:
    """Every leaf that differs between two YAML documents, as paths like ``stories[1].title``."""
    return list(_walk(before, after, (), kind))


def _walk(before: object, after: object, loc: Loc, kind: Kind) -> Iterator[Change]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in [*before, *(k for k in after if k not in before)]:
            yield from _pair(before, after, key, loc, kind)
    elif isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            yield from _pair(dict(enumerate(before)), dict(enumerate(after)), index, loc, kind)
    elif before != after:
        yield Change(kind, format_loc(loc) or "(the whole file)", "changed", before, after)


def _pair(
    before: dict[object, object], after: dict[object, object], key: object, loc: Loc, kind: Kind
) -> Iterator[Change]:
    here = (*loc, key if isinstance(key, int) else str(key))
    if key not in after:
        yield Change(kind, format_loc(here), "removed", before[key], None)
    elif key not in before:
        yield Change(kind, format_loc(here), "added", None, after[key])
    else:
        yield from _walk(before[key], after[key], here, kind)


def digest(path: Path) -> str | None:
    """The SHA-256 of a file's bytes; ``None`` when there is no such file."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def file_changes(kind: Kind, names: Iterable[str], before: Path, after: Path) -> list[Change]:
    """The files among ``names`` (relative to each folder) whose bytes differ."""
    out = []
    for name in sorted(set(names)):
        old, new = digest(before / name), digest(after / name)
        if old == new:
            continue
        how: How = "added" if old is None else "removed" if new is None else "changed"
        out.append(
            Change(kind, name, how, _describe(before / name, old), _describe(after / name, new))
        )
    return out


def _describe(path: Path, sha: str | None) -> str | None:
    return None if sha is None else f"{path.stat().st_size:,} bytes, sha256 {sha[:12]}"


def templates_used(templates: Path, roots: Iterable[str]) -> set[str]:
    """The templates ``roots`` render, with everything they extend, include or import.

    A name built at render time cannot be followed; then every email template counts.
    """
    env = jinja2.Environment(autoescape=False)
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            source = (templates / name).read_text(encoding="utf-8")
            refs = list(jinja2.meta.find_referenced_templates(env.parse(source)))
        except (OSError, UnicodeDecodeError, jinja2.TemplateSyntaxError):
            continue  # missing or broken here: the render itself says what is wrong
        if any(ref is None for ref in refs):
            seen.update(_all_email_templates(templates))
            continue
        todo.extend(ref for ref in refs if ref is not None)
    return seen


def _all_email_templates(templates: Path) -> set[str]:
    return {
        path.relative_to(templates).as_posix()
        for path in (templates / "email").rglob("*")
        if path.is_file()
    }


def text_diff(before: str, after: str, before_name: str, after_name: str) -> str:
    """A unified diff of two plain-text parts ('' when they are the same)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=before_name,
        tofile=after_name,
        n=2,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
