"""Approval bound to the rendered email: ``newsletter approve`` and the gate on ``send``.

With ``approval: {required: true, approvers: N}`` in newsletter.yaml, ``send`` and
``send --due`` need N different people's approvals of the email as it renders now. Run
in-process with click's CliRunner against a copy of the project, the test database (both
backends) and the outbox transport.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from mailer.cli import cli
from mailer.render.email import email_hash, short_hash
from mailer.render.manifest import render_manifest
from mailer.send.approvals import (
    APPROVED,
    WITHDRAWN,
    approval_status,
    approve,
    standing_approvals,
)
from mailer.send.campaigns import get_campaign
from mailer.send.plans import checked_email
from mailer.settings import load_project
from subscribers.audit import list_entries, os_user
from tests.plugins.sending import Person, add_people, cli_env, write_issue

Newsletter = Callable[..., Result]
ISSUE = "2026-11-signed-off"


@pytest.fixture
def newsletter(project_copy: Path, db_url: str, clean_env: pytest.MonkeyPatch) -> Newsletter:
    """``newsletter --project COPY …`` with the outbox as the configured transport."""

    def run(*args: str) -> Result:
        env = cli_env(db_url, outbox=project_copy / "outbox", transport="outbox")
        return CliRunner().invoke(cli, ["--project", str(project_copy), *args], env=env)

    return run


@pytest.fixture
def three(engine: Engine) -> list[Person]:
    return add_people(engine, 3)


def require_approval(project_copy: Path, approvers: int = 1) -> None:
    settings = project_copy / "newsletter.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text + f"\napproval:\n  required: true\n  approvers: {approvers}\n", encoding="utf-8"
    )


@pytest.fixture
def issue(project_copy: Path) -> Path:
    """A ready issue that was due an hour ago, with approval required (one approver)."""
    require_approval(project_copy)
    return write_issue(project_copy, ISSUE, send_at=datetime.now(UTC) - timedelta(hours=1))


def current_hash(project_copy: Path) -> str:
    project = load_project(project_copy)
    path = project_copy / "newsletters" / f"{ISSUE}.yaml"
    return email_hash(checked_email(project, path, now=datetime.now(UTC))[1])


def sent_files(project_copy: Path) -> list[Path]:
    return sorted((project_copy / "outbox" / ISSUE).glob("*.eml"))


def test_an_unapproved_issue_is_refused_with_the_reason(
    newsletter: Newsletter, issue: Path, three: list[Person], engine: Engine, project_copy: Path
) -> None:
    result = newsletter("send", ISSUE, "--yes")
    assert result.exit_code == 1
    version = short_hash(current_hash(project_copy))
    assert (
        f"error: {ISSUE}: needs 1 more approval(s) of the email as it renders now "
        f"(version {version}; 1 different people required); nobody has approved it"
    ) in result.stderr
    assert get_campaign(engine, ISSUE) is None
    assert sent_files(project_copy) == []


def test_an_approved_issue_sends_and_its_campaign_shows_the_approved_version(
    newsletter: Newsletter, issue: Path, three: list[Person], engine: Engine, project_copy: Path
) -> None:
    approved = newsletter("approve", ISSUE, "--by", "Jane Doe")
    assert approved.exit_code == 0, approved.output
    version = current_hash(project_copy)
    assert approved.stdout == f"{ISSUE}: Jane Doe approved version {short_hash(version)}\n"
    sent = newsletter("send", ISSUE, "--yes")
    assert sent.exit_code == 0, sent.output
    assert len(sent_files(project_copy)) == 3
    campaign = get_campaign(engine, ISSUE)
    assert campaign is not None
    assert campaign.email_hash == version
    show = newsletter("campaigns", "show", ISSUE, "--json")
    assert (json.loads(show.stdout)["email_hash"], json.loads(show.stdout)["approved_by"]) == (
        version,
        ["Jane Doe"],
    )
    table = newsletter("campaigns", "show", ISSUE)
    assert f"{short_hash(version)} (approved by Jane Doe)" in table.stdout


def _edit_title(project: Path) -> None:
    path = project / "newsletters" / f"{ISSUE}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("route to the brain", "route to the bones"), encoding="utf-8")


def _edit_template(project: Path) -> None:
    path = project / "templates" / "email" / "partials" / "story.mjml.j2"
    path.write_text(path.read_text(encoding="utf-8") + "\n{# reviewed #}x\n", encoding="utf-8")


def _edit_image(project: Path) -> None:
    path = project / "newsletters" / "images" / "bone-scan.png"
    path.write_bytes(path.read_bytes() + b"\0")


def _edit_sender(project: Path) -> None:
    path = project / "newsletter.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("from_name: Ribbon Research Trust", "from_name: Ribbon Research"),
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    ("edit", "change"),
    [
        (_edit_title, "stories[0].title changed"),
        (_edit_template, "template partials/story.mjml.j2 changed"),
        (_edit_image, "image bone-scan.png changed"),
        (_edit_sender, "newsletter.yaml sender.from_name changed"),
    ],
)
def test_an_edit_after_approval_is_refused_naming_the_change(
    newsletter: Newsletter,
    issue: Path,
    three: list[Person],
    engine: Engine,
    project_copy: Path,
    edit: Callable[[Path], None],
    change: str,
) -> None:
    assert newsletter("approve", ISSUE, "--by", "Jane Doe").exit_code == 0
    approved = short_hash(current_hash(project_copy))
    edit(project_copy)
    result = newsletter("send", ISSUE, "--yes")
    assert result.exit_code == 1
    assert f"approved: Jane Doe (version {approved}); changed since: {change}" in result.stderr
    assert get_campaign(engine, ISSUE) is None


def test_two_approvers_one_is_not_enough_and_the_same_person_twice_is_not_two(
    newsletter: Newsletter, project_copy: Path, three: list[Person], engine: Engine
) -> None:
    require_approval(project_copy, approvers=2)
    write_issue(project_copy, ISSUE, send_at=datetime.now(UTC) - timedelta(hours=1))
    first = newsletter("approve", ISSUE, "--by", "Jane Doe")
    assert first.exit_code == 0, first.output
    assert "needs 1 more approval(s)" in first.stdout
    assert newsletter("approve", ISSUE, "--by", "jane  doe").exit_code == 0
    refused = newsletter("send", ISSUE, "--yes")
    assert refused.exit_code == 1
    assert "needs 1 more approval(s)" in refused.stderr
    assert "2 different people required" in refused.stderr
    assert newsletter("approve", ISSUE, "--by", "Sam Lee").exit_code == 0
    sent = newsletter("send", ISSUE, "--yes")
    assert sent.exit_code == 0, sent.output
    assert len(sent_files(project_copy)) == 3


def test_a_withdrawn_approval_no_longer_counts_and_both_are_audited(
    newsletter: Newsletter, issue: Path, three: list[Person], engine: Engine, project_copy: Path
) -> None:
    assert newsletter("approve", ISSUE, "--by", "Jane Doe").exit_code == 0
    withdrawn = newsletter("approve", ISSUE, "--withdraw", "--by", "Jane Doe")
    assert withdrawn.exit_code == 0, withdrawn.output
    assert f"{ISSUE}: withdrew 1 approval(s) by Jane Doe" in withdrawn.stdout
    refused = newsletter("send", ISSUE, "--yes")
    assert refused.exit_code == 1
    assert "nobody has approved it" in refused.stderr
    version = short_hash(current_hash(project_copy))
    entries = [
        (e.who, e.action, e.subject, e.detail)
        for e in list_entries(engine, limit=2)
        if e.action in (APPROVED, WITHDRAWN)
    ]
    assert entries == [
        (os_user(), WITHDRAWN, None, f"{ISSUE} version {version} approval withdrawn by Jane Doe"),
        (os_user(), APPROVED, None, f"{ISSUE} version {version} approved by Jane Doe"),
    ]


def test_withdrawing_what_was_never_approved_is_one_line(
    newsletter: Newsletter, issue: Path
) -> None:
    result = newsletter("approve", ISSUE, "--withdraw", "--by", "Jane Doe")
    assert result.exit_code == 1
    assert result.stderr == f"error: {ISSUE}: Jane Doe has no approval to withdraw\n"


def test_send_due_refuses_an_unapproved_issue_and_sends_it_once_approved(
    newsletter: Newsletter, issue: Path, three: list[Person], engine: Engine, project_copy: Path
) -> None:
    refused = newsletter("send", "--due")
    assert refused.exit_code == 1
    assert f"error: newsletters/{ISSUE}.yaml: {ISSUE}: needs 1 more approval(s)" in refused.stderr
    assert get_campaign(engine, ISSUE) is None
    assert newsletter("approve", ISSUE, "--by", "Jane Doe").exit_code == 0
    sent = newsletter("send", "--due")
    assert sent.exit_code == 0, sent.output
    assert len(sent_files(project_copy)) == 3


def test_without_the_setting_an_unapproved_ready_issue_sends_as_before(
    newsletter: Newsletter, project_copy: Path, three: list[Person]
) -> None:
    write_issue(project_copy, ISSUE, send_at=datetime.now(UTC) - timedelta(hours=1))
    sent = newsletter("send", ISSUE, "--yes")
    assert sent.exit_code == 0, sent.output
    assert len(sent_files(project_copy)) == 3


def test_the_library_reports_the_status_the_staff_console_shows(
    engine: Engine, issue: Path, project_copy: Path
) -> None:
    project = load_project(project_copy)
    found, email = checked_email(project, issue, now=datetime.now(UTC))
    manifest = render_manifest(found, project)
    before = approval_status(engine, email, True, 1, manifest)
    assert (before.ok, before.approvals, before.changes) == (False, (), ())
    approve(engine, ISSUE, email_hash(email), manifest, "Jane Doe", datetime.now(UTC))
    after = approval_status(engine, email, True, 1, manifest)
    assert (after.ok, after.people) == (True, ("Jane Doe",))
    assert after.message == f"{ISSUE}: version {short_hash(email_hash(email))} approved by Jane Doe"
    assert after.as_dict()["approved_by"] == ["Jane Doe"]


def test_an_approval_keeps_the_plain_text_part_it_approved(
    newsletter: Newsletter, issue: Path, engine: Engine, project_copy: Path
) -> None:
    assert newsletter("approve", ISSUE, "--by", "Jane Doe").exit_code == 0
    project = load_project(project_copy)
    _found, email = checked_email(project, issue, now=datetime.now(UTC))
    (kept,) = standing_approvals(engine, ISSUE)
    assert kept.text == email.text


def test_the_status_names_the_approval_a_changed_email_is_compared_with(
    engine: Engine, issue: Path, project_copy: Path
) -> None:
    project = load_project(project_copy)
    found, email = checked_email(project, issue, now=datetime.now(UTC))
    manifest = render_manifest(found, project)
    approve(engine, ISSUE, "0" * 64, manifest, "Jane Doe", datetime.now(UTC), text="before\n")
    status = approval_status(engine, email, True, 1, manifest)
    assert status.since is not None
    assert (status.since.by, status.since.text) == ("Jane Doe", "before\n")
