"""``newsletter campaigns``: list, show, pause, resume, cancel (resolve is in test_send_unknown)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from mailer.cli import cli
from mailer.render.email import Email
from mailer.send.campaigns import get_campaign, snapshot_audience
from mailer.send.deliveries import delivery_counts
from mailer.send.links import RecipientLinks
from mailer.send.sender import send_campaign
from tests.fakesendgrid import FakeSendGrid
from tests.plugins.sendgrid import TEST_API_KEY, make_email, sendgrid_transport_for
from tests.plugins.sending import (
    START,
    FakeClock,
    add_people,
    fast_options,
    open_test_campaign,
)

Campaigns = Callable[..., Result]


@pytest.fixture
def campaigns(db_url: str, tmp_path: Path) -> Campaigns:
    def run(*args: str) -> Result:
        return CliRunner().invoke(
            cli,
            ["--project", str(tmp_path), "campaigns", *args],
            env={"NEWSLETTER_DATABASE_URL": db_url, "COLUMNS": "200", "NO_COLOR": "1"},
        )

    return run


@pytest.fixture
def started(engine: Engine, sample_email: Email) -> int:
    """A campaign of three recipients, snapshotted, nothing sent yet."""
    add_people(engine, 3)
    campaign = open_test_campaign(engine, sample_email)
    snapshot_audience(engine, campaign, now=START)
    return int(campaign.id)


def test_list_shows_every_campaign_with_counts(
    campaigns: Campaigns, started: int, sample_email: Email
) -> None:
    result = campaigns("list")
    assert result.exit_code == 0, result.output
    assert sample_email.issue_id in result.stdout
    assert "sending" in result.stdout
    data = json.loads(campaigns("list", "--json").stdout)
    assert [(c["issue_id"], c["status"], c["recipients"]) for c in data] == [
        (sample_email.issue_id, "sending", 3)
    ]
    assert data[0]["counts"]["queued"] == 3


def test_list_reports_a_dead_workers_batch_as_unknown(
    campaigns: Campaigns, started: int, engine: Engine
) -> None:
    from datetime import timedelta

    from mailer.send.campaigns import HOST
    from mailer.send.deliveries import claim_batch

    dead = f"{HOST}:4194303:gone"  # a process id that is not running on this host
    claim_batch(engine, started, worker_id=dead, size=2, lease=timedelta(hours=1), now=START)
    data = json.loads(campaigns("list", "--json").stdout)
    assert data[0]["counts"]["unknown"] == 2
    assert data[0]["counts"]["claimed"] == 0


def test_show_finds_a_campaign_by_number_or_issue_id(
    campaigns: Campaigns, started: int, sample_email: Email
) -> None:
    by_id = json.loads(campaigns("show", str(started), "--json").stdout)
    by_issue = json.loads(campaigns("show", sample_email.issue_id, "--json").stdout)
    assert by_id == by_issue
    assert by_id["subject"] == sample_email.subject


def test_show_of_an_unknown_campaign_says_how_to_list_them(campaigns: Campaigns) -> None:
    result = campaigns("show", "no-such-issue")
    assert result.exit_code == 1
    assert "no campaign 'no-such-issue'; `newsletter campaigns list` shows them" in result.stderr


def test_pause_resume_and_cancel_move_the_campaign(
    campaigns: Campaigns, started: int, engine: Engine, sample_email: Email
) -> None:
    issue = sample_email.issue_id
    result = campaigns("pause", issue, "--reason", "typo in the subject")
    assert result.exit_code == 0
    assert f"campaign {issue} paused" in result.stdout
    campaign = get_campaign(engine, issue)
    assert campaign is not None
    assert (campaign.status, campaign.status_reason) == ("paused", "typo in the subject")
    assert campaigns("resume", issue).exit_code == 0
    campaign = get_campaign(engine, issue)
    assert campaign is not None
    assert campaign.status == "sending"
    result = campaigns("cancel", issue, "--yes")
    assert result.exit_code == 0
    assert f"campaign {issue} cancelled" in result.stdout
    campaign = get_campaign(engine, issue)
    assert campaign is not None
    assert campaign.status == "cancelled"
    assert campaign.finished_at is not None


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("resume", "is sending; it cannot be resumed"),
        ("cancel", None),
    ],
)
def test_moves_that_make_no_sense_are_refused(
    campaigns: Campaigns, started: int, sample_email: Email, command: str, message: str | None
) -> None:
    if message is None:  # a cancelled campaign cannot be paused or cancelled again
        assert campaigns("cancel", sample_email.issue_id, "--yes").exit_code == 0
        command, message = "pause", "is cancelled; it cannot be paused"
    result = campaigns(command, sample_email.issue_id)
    assert result.exit_code == 1
    assert message in result.stderr


def test_a_pause_stops_a_running_send_after_the_batch_in_flight(
    campaigns: Campaigns,
    engine: Engine,
    sample_email: Email,
    recipient_links: RecipientLinks,
    send_clock: FakeClock,
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
) -> None:
    add_people(engine, 30)
    server = fake_sendgrid_factory(api_key=TEST_API_KEY)
    transport = sendgrid_transport_for(server)
    paused: list[int] = []

    def pause_after_first(n: int) -> None:
        if not paused:
            paused.append(campaigns("pause", sample_email.issue_id).exit_code)

    options = fast_options(batch_size=10, concurrency=1)
    report = send_campaign(
        engine,
        open_test_campaign(engine, sample_email),
        transport,
        recipient_links,
        options=options,
        clock=send_clock,
        progress=pause_after_first,
    )
    assert paused == [0]
    assert report.status == "paused"
    assert report.counts["accepted"] == 10
    assert report.counts["queued"] == 20
    assert campaigns("resume", sample_email.issue_id).exit_code == 0
    campaign = get_campaign(engine, sample_email.issue_id)
    assert campaign is not None
    report = send_campaign(
        engine, campaign, transport, recipient_links, options=options, clock=send_clock
    )
    assert report.status == "sent"
    assert delivery_counts(engine, campaign.id)["accepted"] == 30
    assert len(set(server.accepted_delivery_ids())) == len(server.accepted_delivery_ids()) == 30
    transport.close()


LONG_IDS = (
    "2026-12-secondary-breast-cancer-research-winter-appeal-north",
    "2026-12-secondary-breast-cancer-research-winter-appeal-south",
    "2026-12-secondary-breast-cancer-research-winter-appeal-wales",
)


def test_list_stays_readable_in_80_columns(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """Long issue ids that differ only at the end are never cut: each row names its issue."""
    for issue_id in LONG_IDS:
        open_test_campaign(engine, make_email(issue_id=issue_id))
    result = CliRunner().invoke(
        cli,
        ["--project", str(tmp_path), "campaigns", "list"],
        env={"NEWSLETTER_DATABASE_URL": db_url, "COLUMNS": "80", "NO_COLOR": "1"},
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, result.stdout
    for issue_id in LONG_IDS:
        assert sum(issue_id in line for line in lines) == 1, result.stdout
    assert "…" not in result.stdout
    counts = "sending · 0 recipients: 0 accepted, 0 unknown, 0 suppressed, 0 failed"
    assert result.stdout.count(counts) == len(LONG_IDS), result.stdout
