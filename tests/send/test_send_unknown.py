"""A batch SendGrid may have accepted is never resent blindly: ``unknown``, reported, settled.

The fake server records a batch as accepted and then drops the connection; the sender cannot
know, so the batch becomes ``unknown``, the rest of the campaign goes out, ``campaigns show``
reports it, and ``campaigns resolve --mark-sent / --resend`` settle it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from mailer.cli import cli
from mailer.errors import CampaignError
from mailer.render.email import Email
from mailer.send.campaigns import get_campaign
from mailer.send.deliveries import delivery_counts, unknown_batches
from mailer.send.links import RecipientLinks
from mailer.send.sender import SendReport, send_campaign
from tests.fakesendgrid import FakeSendGrid, FaultPlan
from tests.plugins.sendgrid import TEST_API_KEY, sendgrid_transport_for
from tests.plugins.sending import (
    FakeClock,
    add_people,
    delivery_rows,
    fast_options,
    open_test_campaign,
)


@pytest.fixture
def dropped_server(fake_sendgrid_factory: Callable[..., FakeSendGrid]) -> FakeSendGrid:
    """Accepts batch 2, then drops the connection without answering."""
    return fake_sendgrid_factory(
        api_key=TEST_API_KEY, plan=FaultPlan(script=("ok", "accept_then_drop"))
    )


@pytest.fixture
def send_again(
    engine: Engine,
    sample_email: Email,
    recipient_links: RecipientLinks,
    send_clock: FakeClock,
    dropped_server: FakeSendGrid,
) -> Iterator[Callable[[], SendReport]]:
    transport = sendgrid_transport_for(dropped_server)

    def run() -> SendReport:
        campaign = get_campaign(engine, sample_email.issue_id) or open_test_campaign(
            engine, sample_email
        )
        return send_campaign(
            engine,
            campaign,
            transport,
            recipient_links,
            options=fast_options(batch_size=10, concurrency=1),
            clock=send_clock,
        )

    yield run
    transport.close()


@pytest.fixture
def campaigns_cli(db_url: str, tmp_path: Path) -> Callable[..., tuple[int, str]]:
    """Run ``newsletter campaigns …`` in-process against the test database."""

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            cli,
            ["--project", str(tmp_path), "campaigns", *args],
            env={"NEWSLETTER_DATABASE_URL": db_url, "COLUMNS": "200", "NO_COLOR": "1"},
        )
        return result.exit_code, result.output

    return run


def test_accepted_then_dropped_batch_is_unknown_and_the_rest_is_sent(
    engine: Engine, dropped_server: FakeSendGrid, send_again: Callable[[], SendReport]
) -> None:
    people = add_people(engine, 30)
    report = send_again()
    assert dropped_server.requests == 3
    assert Counter(dropped_server.accepted_delivery_ids()).most_common(1)[0][1] == 1
    assert len(dropped_server.accepted_delivery_ids()) == len(people)
    assert report.counts["unknown"] == 10
    assert report.counts["accepted"] == 20
    assert report.status == "sent"
    assert len(report.unknown_batches) == 1
    assert report.unknown_batches[0]["size"] == 10
    statuses = [row.status for row in delivery_rows(engine, report.campaign_id)]
    assert statuses == ["accepted"] * 10 + ["unknown"] * 10 + ["accepted"] * 10


def test_a_rerun_never_resends_an_unknown_batch(
    engine: Engine, dropped_server: FakeSendGrid, send_again: Callable[[], SendReport]
) -> None:
    add_people(engine, 30)
    first = send_again()
    with pytest.raises(CampaignError, match="is sent"):
        send_again()
    assert dropped_server.requests == 3
    assert delivery_counts(engine, first.campaign_id)["unknown"] == 10


def test_campaigns_show_reports_the_unknown_batch(
    engine: Engine,
    send_again: Callable[[], SendReport],
    sample_email: Email,
    campaigns_cli: Callable[..., tuple[int, str]],
) -> None:
    add_people(engine, 30)
    report = send_again()
    code, output = campaigns_cli("show", sample_email.issue_id)
    assert code == 0
    assert "Batches with an unknown outcome" in output
    assert str(report.unknown_batches[0]["batch"]) in output
    assert f"newsletter campaigns resolve {sample_email.issue_id} --resend | --mark-sent" in output
    code, output = campaigns_cli("show", sample_email.issue_id, "--json")
    data = json.loads(output)
    assert data["counts"]["unknown"] == 10
    assert [b["size"] for b in data["unknown_batches"]] == [10]


def test_resolve_mark_sent_settles_the_batch_without_sending(
    engine: Engine,
    dropped_server: FakeSendGrid,
    send_again: Callable[[], SendReport],
    sample_email: Email,
    campaigns_cli: Callable[..., tuple[int, str]],
) -> None:
    add_people(engine, 30)
    first = send_again()
    code, output = campaigns_cli("resolve", sample_email.issue_id, "--mark-sent")
    assert code == 0
    assert "10 unknown deliveries of 2025-06-research-news marked sent" in output
    counts = delivery_counts(engine, first.campaign_id)
    assert counts["unknown"] == 0
    assert counts["accepted"] == 30
    assert unknown_batches(engine, first.campaign_id) == []
    campaign = get_campaign(engine, first.campaign_id)
    assert campaign is not None
    assert campaign.status == "sent"
    assert dropped_server.requests == 3


def test_resolve_resend_queues_exactly_the_unknown_deliveries_again(
    engine: Engine,
    dropped_server: FakeSendGrid,
    send_again: Callable[[], SendReport],
    sample_email: Email,
    campaigns_cli: Callable[..., tuple[int, str]],
) -> None:
    add_people(engine, 30)
    first = send_again()
    unknown_ids = {
        f"c{first.campaign_id}-d{row.id}"
        for row in delivery_rows(engine, first.campaign_id)
        if row.status == "unknown"
    }
    code, output = campaigns_cli("resolve", sample_email.issue_id, "--resend")
    assert code == 0
    assert "10 unknown deliveries" in output
    assert "queued again" in output
    campaign = get_campaign(engine, sample_email.issue_id)
    assert campaign is not None
    assert campaign.status == "sending"
    before = len(dropped_server.accepted())
    report = send_again()
    resent = {i for item in dropped_server.accepted()[before:] for i in item.delivery_ids}
    assert resent == unknown_ids
    assert report.counts["accepted"] == 30
    assert report.status == "sent"


def test_resolve_needs_a_decision(
    engine: Engine, sample_email: Email, campaigns_cli: Callable[..., tuple[int, str]]
) -> None:
    open_test_campaign(engine, sample_email)
    code, output = campaigns_cli("resolve", sample_email.issue_id)
    assert code == 1
    assert "choose --resend or --mark-sent" in output
