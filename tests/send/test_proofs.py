"""Proofs: ``newsletter send ISSUE --test-to …`` and ``newsletter proofs ISSUE``.

Run in-process with click's CliRunner against a copy of the project, the test database (both
backends), the outbox and the fake SendGrid server through the real ``sendgrid`` library.
"""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from mailer.render.email import email_hash, short_hash
from mailer.send.campaigns import get_campaign
from mailer.send.plans import checked_email
from mailer.send.proofs import display_zone, list_proofs, local_time, proof_email
from mailer.settings import load_project
from subscribers.audit import os_user
from tests.fakesendgrid import FakeSendGrid
from tests.plugins.sending import SAMPLE_ISSUE, Newsletter, Person, add_people, write_issue

ISSUE = "2026-11-embargoed"


@pytest.fixture
def five(engine: Engine) -> list[Person]:
    return add_people(engine, 5)


def _tomorrow() -> datetime:
    return (datetime.now(UTC) + timedelta(days=1)).replace(minute=30, second=0, microsecond=0)


def _version(project_copy: Path, issue: str) -> str:
    project = load_project(project_copy)
    path = project_copy / "newsletters" / f"{issue}.yaml"
    return email_hash(checked_email(project, path, now=datetime.now(UTC))[1])


def _parts(body: dict[str, object]) -> dict[str, str]:
    content = body["content"]
    assert isinstance(content, list)
    return {part["type"]: part["value"] for part in content}


def test_an_embargoed_issue_is_proofed_to_two_addresses_marked_and_nobody_else_gets_it(
    newsletter: Newsletter,
    project_copy: Path,
    five: list[Person],
    server: FakeSendGrid,
    engine: Engine,
) -> None:
    embargo = _tomorrow()
    write_issue(project_copy, ISSUE, send_at=embargo, embargo_until=embargo)
    version = short_hash(_version(project_copy, ISSUE))
    result = newsletter(
        "send", ISSUE, "--test-to", "ed@example.org, researcher@example.org", server=server
    )
    assert result.exit_code == 0, result.output
    local = embargo.astimezone(ZoneInfo("Europe/London"))
    until = f"{local.day} {local:%b %Y %H:%M} {local.tzname()}"
    [request] = server.accepted()
    body = request.body
    assert [p["to"][0]["email"] for p in body["personalizations"]] == [
        "ed@example.org",
        "researcher@example.org",
    ]
    assert body["subject"].startswith(f"[PROOF \u2013 EMBARGOED until {until}] ")
    parts = _parts(body)
    for part in (parts["text/plain"], parts["text/html"]):
        assert f"PROOF of version {version}" in part
        assert f"do not share or forward before {until}" in part
    assert parts["text/plain"].startswith("*** PROOF")
    assert get_campaign(engine, ISSUE) is None


def test_send_due_still_refuses_an_embargoed_issue_after_its_proof(
    newsletter: Newsletter,
    project_copy: Path,
    five: list[Person],
    server: FakeSendGrid,
    engine: Engine,
) -> None:
    embargo = _tomorrow()
    write_issue(project_copy, ISSUE, send_at=embargo, embargo_until=embargo)
    assert newsletter("send", ISSUE, "--test-to", "ed@example.org", server=server).exit_code == 0
    due = newsletter("send", "--due", server=server)
    assert due.exit_code == 0, due.output
    assert f"{ISSUE}.yaml: skip (due at" in due.stderr
    by_hand = newsletter("send", ISSUE, "--yes", server=server)
    assert by_hand.exit_code == 1
    assert "embargoed until" in by_hand.stderr
    assert server.requests == 1
    assert get_campaign(engine, ISSUE) is None


def _eml(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _bodies(message: EmailMessage) -> list[str]:
    return [
        str(part.get_content())
        for part in message.walk()
        if part.get_content_type() in ("text/plain", "text/html")
    ]


def test_a_second_proof_does_not_overwrite_the_first_in_the_outbox(
    newsletter: Newsletter, project_copy: Path, five: list[Person]
) -> None:
    for address in ("first@example.org", "second@example.org"):
        result = newsletter("send", SAMPLE_ISSUE, "--test-to", address)
        assert result.exit_code == 0, result.output
    files = sorted((project_copy / "outbox" / SAMPLE_ISSUE).glob("*.eml"))
    assert sorted(_eml(f)["To"] for f in files) == ["first@example.org", "second@example.org"]
    version = short_hash(_version(project_copy, SAMPLE_ISSUE))
    for message in map(_eml, files):
        assert str(message["Subject"]).strip().startswith("[PROOF] ")
        bodies = _bodies(message)
        assert len(bodies) == 2
        assert all(f"PROOF of version {version}: not sent to supporters." in b for b in bodies)


@pytest.mark.parametrize(
    "addresses",
    ["not-an-address", "ed@example.org,someone@", "two@@example.org", " , "],
)
def test_a_bad_address_is_refused_and_nothing_is_sent_or_recorded(
    newsletter: Newsletter, project_copy: Path, engine: Engine, addresses: str
) -> None:
    result = newsletter("send", SAMPLE_ISSUE, "--test-to", addresses)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "proof" in errors[0]
    assert "Traceback" not in result.output
    assert not (project_copy / "outbox").exists()
    assert list_proofs(engine, SAMPLE_ISSUE) == []


def test_proofs_are_listed_with_version_recipients_and_who_asked(
    newsletter: Newsletter, project_copy: Path
) -> None:
    assert (
        newsletter("send", SAMPLE_ISSUE, "--test-to", "a@example.org,b@example.org").exit_code == 0
    )
    assert newsletter("send", SAMPLE_ISSUE, "--test-to", "c@example.org").exit_code == 0
    listed = newsletter("proofs", SAMPLE_ISSUE, "--json")
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    version = _version(project_copy, SAMPLE_ISSUE)
    assert [(p["recipients"], p["email_hash"], p["requested_by"]) for p in data["proofs"]] == [
        (["a@example.org", "b@example.org"], version, os_user()),
        (["c@example.org"], version, os_user()),
    ]
    table = newsletter("proofs", SAMPLE_ISSUE)
    assert table.exit_code == 0, table.output
    assert f"Proofs of {SAMPLE_ISSUE}" in table.stdout
    assert short_hash(version) in table.stdout
    assert "a@example.org, b@example.org" in table.stdout


def test_an_issue_without_proofs_says_so(newsletter: Newsletter) -> None:
    result = newsletter("proofs", SAMPLE_ISSUE)
    assert result.exit_code == 0, result.output
    assert f"{SAMPLE_ISSUE}: no proofs yet" in result.stdout


def test_times_are_shown_in_the_charitys_zone_london_by_default(project_copy: Path) -> None:
    zone = display_zone(load_project(project_copy))
    assert local_time(datetime(2026, 7, 1, 8, 0, tzinfo=UTC), zone) == "1 Jul 2026 09:00 BST"
    assert local_time(datetime(2026, 12, 4, 8, 0, tzinfo=UTC), zone) == "4 Dec 2026 08:00 GMT"


def test_the_banner_comes_after_the_hidden_preheader_so_inboxes_still_preview_it(
    project_copy: Path,
) -> None:
    project = load_project(project_copy)
    path = project_copy / "newsletters" / f"{SAMPLE_ISSUE}.yaml"
    rendered = checked_email(project, path, now=datetime.now(UTC))[1]
    marked = proof_email(rendered, now=datetime.now(UTC), zone=display_zone(project))
    preheader = marked.html.index('class="preheader"')
    banner = marked.html.index("PROOF of version")
    assert marked.html.index("<body") < preheader < banner
