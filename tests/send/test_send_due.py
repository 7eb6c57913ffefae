"""``newsletter send --due``: the cron entry point.

What is due is decided by :func:`mailer.send.plans.plan_due` with an injected clock (time zones,
embargoes, status); the command itself is run in-process against the real clock with issues
written relative to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine

from mailer.send.campaigns import get_campaign, set_status, snapshot_audience, start_campaign
from mailer.send.deliveries import delivery_counts
from mailer.send.plans import plan_due, prepare_email
from mailer.settings import load_project
from tests.fakesendgrid import FakeSendGrid
from tests.plugins.sending import Newsletter, Person, add_people, write_issue

ISSUE = "2026-11-due-test"


@pytest.fixture
def four(engine: Engine) -> list[Person]:
    return add_people(engine, 4)


def decisions(project_copy: Path, engine: Engine, now: datetime) -> dict[str, tuple[str, str]]:
    project = load_project(project_copy)
    return {
        d.issue_id or d.path: (d.action, d.reason)
        for d in plan_due(project, engine, now=now)
        if d.issue_id not in ("2026-12-secondary-research", "2026-12-winter-appeal")
    }


@pytest.mark.parametrize(
    ("send_at", "now", "action"),
    [
        ("2026-12-03T10:00:00+01:00", datetime(2026, 12, 3, 9, 30, tzinfo=UTC), "send"),
        ("2026-12-03T10:00:00+01:00", datetime(2026, 12, 3, 9, 0, tzinfo=UTC), "send"),
        ("2026-12-03T10:00:00+01:00", datetime(2026, 12, 3, 8, 59, tzinfo=UTC), "skip"),
        ("2026-12-03T09:00:00-05:00", datetime(2026, 12, 3, 13, 30, tzinfo=UTC), "skip"),
        ("2026-12-03T09:00:00-05:00", datetime(2026, 12, 3, 14, 0, tzinfo=UTC), "send"),
        ("2026-12-03T09:00:00Z", datetime(2026, 12, 3, 9, 0, 1, tzinfo=UTC), "send"),
    ],
)
def test_send_at_is_compared_as_an_instant_across_time_zones(
    project_copy: Path, engine: Engine, send_at: str, now: datetime, action: str
) -> None:
    write_issue(project_copy, ISSUE, send_at=send_at)
    assert decisions(project_copy, engine, now)[ISSUE][0] == action


def test_only_ready_issues_are_due(project_copy: Path, engine: Engine) -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    write_issue(project_copy, "2026-11-draft", status="draft", send_at=now - timedelta(hours=1))
    write_issue(project_copy, "2026-11-ready", send_at=now - timedelta(hours=1))
    write_issue(project_copy, "2026-11-unscheduled", send_at=None)
    found = decisions(project_copy, engine, now)
    assert found["2026-11-draft"] == ("skip", "status is draft")
    assert found["2026-11-ready"] == ("send", "due")
    assert found["2026-11-unscheduled"] == ("skip", "no send_at")


def test_an_embargoed_issue_is_not_due_until_the_embargo_lifts(
    project_copy: Path, engine: Engine
) -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    write_issue(
        project_copy,
        ISSUE,
        send_at=now - timedelta(hours=1),
        embargo_until=now + timedelta(hours=2),
    )
    action, reason = decisions(project_copy, engine, now)[ISSUE]
    assert action == "skip"
    assert reason.startswith("embargoed until 2026-12-03T14:00:00")
    assert decisions(project_copy, engine, now + timedelta(hours=3))[ISSUE] == ("send", "due")


def test_sending_an_embargoed_issue_by_hand_is_refused(
    newsletter: Newsletter, project_copy: Path, four: list[Person], server: FakeSendGrid
) -> None:
    soon = datetime.now(UTC) + timedelta(days=1)
    write_issue(project_copy, ISSUE, send_at=soon, embargo_until=soon)
    result = newsletter("send", ISSUE, "--yes", server=server)
    assert result.exit_code == 1
    assert "embargoed until" in result.stderr
    assert server.requests == 0


def test_due_refuses_to_run_without_a_transport(
    newsletter: Newsletter, project_copy: Path, four: list[Person], engine: Engine
) -> None:
    write_issue(project_copy, ISSUE, send_at=datetime.now(UTC) - timedelta(minutes=5))
    result = newsletter("send", "--due")
    assert result.exit_code == 1
    assert "no transport configured: set NEWSLETTER_TRANSPORT" in result.stderr
    assert "scheduled runs never fall back to the outbox" in result.stderr
    assert get_campaign(engine, ISSUE) is None
    assert not (project_copy / "outbox").exists()


def test_due_sends_what_is_due_and_only_that(
    newsletter: Newsletter,
    project_copy: Path,
    four: list[Person],
    server: FakeSendGrid,
    engine: Engine,
) -> None:
    now = datetime.now(UTC)
    one_hour_ago_in_paris = (now - timedelta(hours=1)).astimezone(timezone(timedelta(hours=1)))
    write_issue(project_copy, "2026-11-due", send_at=one_hour_ago_in_paris)
    write_issue(project_copy, "2026-11-later", send_at=now + timedelta(hours=1))
    write_issue(project_copy, "2026-11-draft", status="draft", send_at=now - timedelta(hours=1))
    result = newsletter("send", "--due", server=server)
    assert result.exit_code == 0, result.output
    assert "2026-11-due.yaml: send (due)" in result.stderr
    assert "2026-11-later.yaml: skip (due at" in result.stderr
    assert "2026-11-draft.yaml: skip (status is draft)" in result.stderr
    assert len(server.accepted_delivery_ids()) == 4
    assert {item.body["custom_args"]["issue_id"] for item in server.accepted()} == {"2026-11-due"}
    assert get_campaign(engine, "2026-11-later") is None
    again = newsletter("send", "--due", server=server)
    assert again.exit_code == 0, again.output
    assert "2026-11-due.yaml: skip (already sent)" in again.stderr
    assert server.requests == 1


def test_due_resumes_an_interrupted_campaign(
    newsletter: Newsletter,
    project_copy: Path,
    four: list[Person],
    server: FakeSendGrid,
    engine: Engine,
) -> None:
    now = datetime.now(UTC)
    path = write_issue(project_copy, ISSUE, send_at=now - timedelta(hours=1))
    email = prepare_email(load_project(project_copy), path, now=now)
    campaign = start_campaign(engine, email, transport="sendgrid", now=now)
    snapshot_audience(engine, campaign, now=now)  # a run that stopped before its first batch
    write_issue(project_copy, ISSUE, status="draft", send_at=now - timedelta(hours=1))
    result = newsletter("send", "--due", server=server)
    assert result.exit_code == 0, result.output
    assert f"{ISSUE}.yaml: send (resuming)" in result.stderr
    assert delivery_counts(engine, campaign.id)["accepted"] == 4
    assert len(server.accepted_delivery_ids()) == 4


def test_due_resumes_a_campaign_paused_by_a_spent_retry_budget_but_not_one_paused_by_hand(
    newsletter: Newsletter,
    project_copy: Path,
    four: list[Person],
    server: FakeSendGrid,
    engine: Engine,
) -> None:
    now = datetime.now(UTC)
    project = load_project(project_copy)
    ids = {}
    for issue_id, automatic in (("2026-11-auto", True), ("2026-11-manual", False)):
        path = write_issue(project_copy, issue_id, send_at=now - timedelta(hours=1))
        campaign = start_campaign(
            engine, prepare_email(project, path, now=now), transport="sendgrid", now=now
        )
        snapshot_audience(engine, campaign, now=now)
        set_status(
            engine, campaign.id, "paused", now=now, auto_resume=automatic, reason="test pause"
        )
        ids[issue_id] = campaign.id
    result = newsletter("send", "--due", server=server)
    assert result.exit_code == 0, result.output
    assert "2026-11-manual.yaml: skip (paused by a person (test pause))" in result.stderr
    assert delivery_counts(engine, ids["2026-11-auto"])["accepted"] == 4
    assert delivery_counts(engine, ids["2026-11-manual"])["queued"] == 4


def test_due_refuses_both_issues_that_share_an_id(
    newsletter: Newsletter, project_copy: Path, four: list[Person], server: FakeSendGrid
) -> None:
    now = datetime.now(UTC)
    write_issue(project_copy, "2026-11-a", send_at=now - timedelta(hours=1))
    copy = write_issue(project_copy, "2026-11-b", send_at=now - timedelta(hours=1))
    copy.write_text(copy.read_text().replace("id: 2026-11-b", "id: 2026-11-a"))
    result = newsletter("send", "--due", server=server)
    assert result.exit_code != 0
    assert (
        "newsletters/2026-11-a.yaml:1:1: id: the id '2026-11-a' is also the id of "
        "newsletters/2026-11-b.yaml" in result.stderr
    )
    assert (
        "newsletters/2026-11-b.yaml:1:1: id: the id '2026-11-a' is also the id of "
        "newsletters/2026-11-a.yaml" in result.stderr
    )
    assert server.requests == 0
