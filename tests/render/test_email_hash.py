"""The email hash an approval is bound to, and the manifest that says what changed."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mailer.content.issue import load_issue
from mailer.render.email import email_hash, short_hash
from mailer.render.manifest import manifest_changes, render_manifest
from mailer.settings import Project, load_project
from tests.plugins.sendgrid import make_email

SAMPLE = "2026-12-secondary-research"


def test_the_same_email_has_the_same_hash() -> None:
    assert email_hash(make_email()) == email_hash(make_email())
    assert len(email_hash(make_email())) == 64
    assert short_hash(email_hash(make_email())) == email_hash(make_email())[:12]


@pytest.mark.parametrize(
    "change",
    [
        {"subject": "Research news: July"},
        {"preheader": "Something else"},
        {"from_email": "other@example.org"},
        {"from_name": "Someone else"},
        {"reply_to": None},
        {"html": "<p>other</p>"},
        {"text": "other"},
    ],
)
def test_anything_a_supporter_receives_changes_the_hash(change: dict[str, Any]) -> None:
    assert email_hash(make_email(**change)) != email_hash(make_email())


@pytest.mark.parametrize(
    "change",
    [
        {"list_id": "appeals"},
        {"send_at": datetime(2026, 12, 3, 9, 0, tzinfo=UTC)},
        {"embargo_until": datetime(2026, 12, 3, 9, 0, tzinfo=UTC)},
        {"mjml": "<mjml><mj-body></mj-body></mjml>"},
    ],
)
def test_what_a_supporter_does_not_receive_leaves_the_hash_alone(change: dict[str, Any]) -> None:
    assert email_hash(make_email(**change)) == email_hash(make_email())


def _manifest(root: Path) -> dict[str, str]:
    project: Project = load_project(root)
    return render_manifest(load_issue(root / "newsletters" / f"{SAMPLE}.yaml", project), project)


def test_the_manifest_names_fields_templates_images_and_settings(project_copy: Path) -> None:
    manifest = _manifest(project_copy)
    assert "stories[0].title" in manifest
    assert "template partials/story.mjml.j2" in manifest
    assert "image bone-scan.png" in manifest
    assert "newsletter.yaml sender.from_email" in manifest
    assert "status" not in manifest


def test_manifest_changes_list_what_differs(project_copy: Path) -> None:
    before = _manifest(project_copy)
    images = project_copy / "newsletters" / "images"
    shutil.copy(images / "bone-scan.png", images / "spare.png")
    (images / "bone-scan.png").write_bytes(b"another picture")
    assert manifest_changes(before, _manifest(project_copy)) == ["image bone-scan.png changed"]
    assert manifest_changes(before, before) == []
    assert manifest_changes({"a": "1"}, {"b": "1"}) == ["a removed", "b added"]
