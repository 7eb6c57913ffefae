"""What an email was rendered from, so that a refused approval can say what changed.

A manifest maps a label to a value; the label is what a person reads in "… changed":

=====================================  ===============================================
label                                  value
=====================================  ===============================================
``stories[1].title``                   the issue's field value (JSON), one per leaf
``template partials/story.mjml.j2``    SHA-256 of each file under ``templates/email/``
``image bone-scan.png``                SHA-256 of each local image the issue uses
``newsletter.yaml sender.from_email``  each setting's value (JSON), one per leaf
=====================================  ===============================================

The issue's ``status`` is left out: marking an approved issue ``ready`` is the next step of
signing it off, not a change to what supporters receive. So is the ``approval`` setting.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mailer.content.issue import Issue
from mailer.settings import Project

Manifest = dict[str, str]

TEMPLATE = "template "
IMAGE = "image "
SETTINGS = "newsletter.yaml "
MISSING = "(missing)"
MAX_CHANGES = 8  # lines of "… changed" before "and N more"
_LEFT_OUT_FIELDS = frozenset({"status", "source"})
_LEFT_OUT_SETTINGS = frozenset({"approval"})


def render_manifest(issue: Issue, project: Project) -> Manifest:
    """The issue's fields, the email templates, its images and the settings, by label."""
    manifest: Manifest = {}
    fields = {k: v for k, v in issue.model_dump(mode="json").items() if k not in _LEFT_OUT_FIELDS}
    manifest.update(_leaves(fields, ""))
    email_templates = project.templates / "email"
    if email_templates.is_dir():
        for path in sorted(email_templates.rglob("*")):
            if path.is_file():
                label = TEMPLATE + path.relative_to(email_templates).as_posix()
                manifest[label] = _file_hash(path)
    for story in issue.stories:
        src = story.image.src if story.image else None
        if src and not src.startswith(("http://", "https://")):
            manifest[IMAGE + src] = _file_hash(project.images / src)
    settings = {
        k: v
        for k, v in project.settings.model_dump(mode="json").items()
        if k not in _LEFT_OUT_SETTINGS
    }
    manifest.update((SETTINGS + k, v) for k, v in _leaves(settings, ""))
    return manifest


def manifest_changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """``"stories[1].title changed"``, ``"image x.png added"`` …: what differs, in order."""
    lines = []
    for label in sorted(before.keys() | after.keys(), key=_order):
        if label not in after:
            lines.append(f"{label} removed")
        elif label not in before:
            lines.append(f"{label} added")
        elif before[label] != after[label]:
            lines.append(f"{label} changed")
    if len(lines) > MAX_CHANGES:
        lines = [*lines[:MAX_CHANGES], f"and {len(lines) - MAX_CHANGES} more"]
    return lines


def _order(label: str) -> tuple[int, str]:
    """Issue fields first, then templates, images and settings."""
    for rank, prefix in enumerate((TEMPLATE, IMAGE, SETTINGS), 1):
        if label.startswith(prefix):
            return rank, label
    return 0, label


def _leaves(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value and any(isinstance(v, dict) for v in value):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, json.dumps(value, ensure_ascii=False, sort_keys=True)


def _file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return MISSING
