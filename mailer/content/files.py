"""Where a project's files live, found without reading them; how problems name them.

Kept apart from the model (:mod:`mailer.content.issue`) so that finding a file costs no
pydantic or YAML import; ``newsletter build`` looks an issue up here before deciding whether
it needs loading at all.
"""

from __future__ import annotations

from pathlib import Path

NEWSLETTERS = "newsletters"
SETTINGS_FILE = "newsletter.yaml"
SUFFIXES = (".yaml", ".yml")


def display_path(path: Path, root: Path) -> str:
    """How problems name ``path``: relative to the project ``root`` when it lies inside it."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def issue_paths_in(folder: Path) -> list[Path]:
    """Every issue file in ``folder``, sorted by name."""
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in SUFFIXES)


def issue_file(ref: str, newsletters: Path) -> Path | None:
    """The issue ``ref`` names as a path or as ``newsletters/<ref>.yaml``, if that settles it.

    ``None`` means ``ref`` may be an ``id:`` written inside some file, which only loading the
    issues can tell (:func:`mailer.content.issue.find_issue` does that).
    """
    candidate = Path(ref)
    if candidate.suffix in SUFFIXES or candidate.exists():
        return candidate
    for suffix in SUFFIXES:
        path = newsletters / f"{ref}{suffix}"
        if path.exists():
            return path
    return None
