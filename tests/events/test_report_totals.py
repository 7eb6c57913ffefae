"""PostgreSQL's running totals (migration 0010) equal a count from scratch, whatever moved.

A real send goes through the ledger against the fake SendGrid server (a batch accepted and
then dropped: ``unknown``; resolved by a person; sent again; threads settling batches of one
campaign at once), events are recorded through the store (again and again: duplicates are
ignored; ``processed`` settles an unknown delivery), and after each step the report read from
the totals equals the one counted from the rows (``_counted_report``, SQLite's path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, delete, select, text

from mailer.cli import cli
from mailer.events.report import _counted_report, campaign_report
from mailer.events.store import record_events
from mailer.render.email import Email
from mailer.send.campaigns import Campaign, delivery_ref, get_campaign
from mailer.send.deliveries import resolve_unknown
from mailer.send.links import RecipientLinks
from mailer.send.sender import SendReport, send_campaign
from mailer.send.tables import deliveries
from subscribers.db import downgrade, get_engine, read_connection, upgrade, write_transaction
from subscribers.models import subscribers
from tests.eventlog import NOW, Sent, SentCampaign, parsed, raw_event
from tests.fakesendgrid import FakeSendGrid, FaultPlan
from tests.plugins.db import truncate_all
from tests.plugins.sendgrid import TEST_API_KEY, sendgrid_transport_for
from tests.plugins.sending import FakeClock, add_people, delivery_rows, fast_options
from tests.plugins.sending import open_test_campaign as open_campaign

pytestmark = pytest.mark.postgres

Sender = Callable[..., SendReport]


@pytest.fixture
def pg(postgres_url: str, _postgres_cleaner: Engine) -> Iterator[Engine]:
    """A clean, migrated PostgreSQL database (the totals exist there only)."""
    truncate_all(_postgres_cleaner)
    engine = get_engine(postgres_url, auto_migrate=False)
    yield engine
    engine.dispose()


@pytest.fixture
def send(
    pg: Engine,
    sample_email: Email,
    recipient_links: RecipientLinks,
    send_clock: FakeClock,
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
) -> Iterator[Sender]:
    """Send (or resume) the sample campaign; the second request is accepted then dropped."""
    server = fake_sendgrid_factory(
        api_key=TEST_API_KEY, plan=FaultPlan(script=("ok", "accept_then_drop"))
    )
    transport = sendgrid_transport_for(server)

    def run(batch_size: int = 10, concurrency: int = 1) -> SendReport:
        campaign = get_campaign(pg, sample_email.issue_id) or open_campaign(pg, sample_email)
        return send_campaign(
            pg,
            campaign,
            transport,
            recipient_links,
            options=fast_options(batch_size=batch_size, concurrency=concurrency),
            clock=send_clock,
        )

    yield run
    transport.close()


def current(engine: Engine, campaign_id: int) -> Campaign:
    campaign = get_campaign(engine, campaign_id)
    assert campaign is not None
    return campaign


def assert_totals_agree(engine: Engine, campaign_id: int) -> None:
    campaign = current(engine, campaign_id)
    assert campaign_report(engine, campaign) == _counted_report(engine, campaign)


def sent_rows(engine: Engine, campaign: Campaign) -> tuple[SentCampaign, list[str]]:
    """The campaign's deliveries as SendGrid's events name them, and their states."""
    with read_connection(engine) as connection:
        emails = dict(connection.execute(select(subscribers.c.id, subscribers.c.email)).all())
    rows = delivery_rows(engine, campaign.id)
    sent = [
        Sent(delivery_ref(campaign.id, r.id), r.id, r.subscriber_id, emails[r.subscriber_id])
        for r in rows
    ]
    return SentCampaign(campaign, sent), [str(r.status) for r in rows]


def events_of(sent: SentCampaign) -> list[dict[str, object]]:
    """A spread of events: opens (one a proxy's), clicks, bounces, drops, unsubscribes."""
    d = sent.deliveries
    a, b = "https://example.org/a", "https://example.org/b"
    bodies: list[dict[str, object]] = [raw_event(x, "delivered", campaign=sent) for x in d[:20]]
    bodies += [raw_event(x, "open", campaign=sent, event_id=f"o-{x.ref}") for x in d[:12]]
    bodies += [raw_event(x, "open", campaign=sent, event_id=f"o2-{x.ref}") for x in d[:6]]
    bodies += [
        raw_event(d[12], "open", campaign=sent, event_id="proxy", sg_machine_open=True),
        raw_event(d[0], "click", campaign=sent, event_id="c1", url=a),
        raw_event(d[0], "click", campaign=sent, event_id="c2", url=b),
        raw_event(d[1], "click", campaign=sent, event_id="c3", url=a),
        raw_event(d[20], "bounce", campaign=sent, type="bounce"),
        raw_event(d[21], "bounce", campaign=sent, type="blocked"),
        raw_event(d[22], "dropped", campaign=sent, reason="Bounced Address"),
        raw_event(d[23], "spamreport", campaign=sent),
        raw_event(d[24], "unsubscribe", campaign=sent),
        raw_event(d[25], "deferred", campaign=sent),
    ]
    return bodies


def test_a_send_with_an_unknown_batch_resolved_and_resent(pg: Engine, send: Sender) -> None:
    add_people(pg, 40)
    first = send()
    assert first.counts["unknown"] == 10
    assert_totals_agree(pg, first.campaign_id)
    assert resolve_unknown(pg, first.campaign_id, resend=True, now=NOW) == 10
    assert_totals_agree(pg, first.campaign_id)
    again = send()
    assert again.counts["accepted"] == 40
    assert_totals_agree(pg, first.campaign_id)


def test_threads_settling_batches_of_one_campaign_at_once(pg: Engine, send: Sender) -> None:
    add_people(pg, 200)
    report = send(batch_size=5, concurrency=4)
    assert report.counts["accepted"] + report.counts["unknown"] == 200
    assert_totals_agree(pg, report.campaign_id)


def test_events_recorded_twice_and_processed_settling_the_unknown(pg: Engine, send: Sender) -> None:
    add_people(pg, 40)
    first = send()
    sent, states = sent_rows(pg, current(pg, first.campaign_id))
    unknown = [x for x, s in zip(sent.deliveries, states, strict=True) if s == "unknown"]
    bodies = events_of(sent) + [raw_event(x, "processed", campaign=sent) for x in unknown[:4]]
    for _ in range(2):  # SendGrid retries: the second time, every event is a duplicate
        record_events(pg, parsed(*bodies), now=NOW)
        assert_totals_agree(pg, first.campaign_id)
    report = campaign_report(pg, current(pg, first.campaign_id))
    assert (report.opened, report.opens, report.machine_opens) == (12, 18, 1)
    assert (report.clicked, report.clicks, report.unknown) == (2, 3, 6)


def test_pause_and_cancel_from_the_command_line(
    pg: Engine, send: Sender, postgres_url: str, tmp_path: Path
) -> None:
    add_people(pg, 40)
    first = send()
    resolve_unknown(pg, first.campaign_id, resend=True, now=NOW)
    issue = current(pg, first.campaign_id).issue_id
    env = {"NEWSLETTER_DATABASE_URL": postgres_url, "COLUMNS": "200", "NO_COLOR": "1"}
    for action in (["pause"], ["cancel", "--yes"]):
        result = CliRunner().invoke(
            cli, ["--project", str(tmp_path), "campaigns", *action, issue], env=env
        )
        assert result.exit_code == 0, result.output
        assert_totals_agree(pg, first.campaign_id)


def test_deleted_deliveries_leave_the_totals(pg: Engine, send: Sender) -> None:
    add_people(pg, 40)
    first = send()
    with write_transaction(pg) as connection:
        connection.execute(
            delete(deliveries).where(
                deliveries.c.campaign_id == first.campaign_id, deliveries.c.status == "unknown"
            )
        )
    assert_totals_agree(pg, first.campaign_id)


def test_the_migration_backfills_the_totals(pg: Engine, send: Sender, postgres_url: str) -> None:
    add_people(pg, 40)
    first = send()
    sent, _ = sent_rows(pg, current(pg, first.campaign_id))
    record_events(pg, parsed(*events_of(sent)), now=NOW)
    before = campaign_report(pg, current(pg, first.campaign_id))
    downgrade(postgres_url, "0009")
    with pg.connect() as connection:
        assert connection.execute(text("SELECT to_regclass('campaign_people')")).scalar() is None
    upgrade(postgres_url)
    after = campaign_report(pg, current(pg, first.campaign_id))
    assert after == before == _counted_report(pg, current(pg, first.campaign_id))


def test_worker_processes_settling_batches_of_one_campaign_at_once(
    pg: Engine,
    sample_email: Email,
    recipient_links: RecipientLinks,
    send_clock: FakeClock,
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
) -> None:
    add_people(pg, 600)
    server = fake_sendgrid_factory(
        api_key=TEST_API_KEY, plan=FaultPlan(seed=5, rate429=0.05, accept_then_drop=0.05)
    )
    transport = sendgrid_transport_for(server)
    campaign = open_campaign(pg, sample_email)
    try:
        report = send_campaign(
            pg,
            campaign,
            transport,
            recipient_links,
            options=fast_options(batch_size=10, concurrency=2, workers=3),
            clock=send_clock,
        )
    finally:
        transport.close()
    assert report.counts["accepted"] + report.counts["unknown"] == 600
    assert_totals_agree(pg, campaign.id)
