"""The cancel window against the fake SendGrid server, with a clock both sides share: a
campaign staged under one batch id and send_at; cancel within the window, in SendGrid's last
10 minutes and after send_at; the limits the fake enforces; the settings' validation."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, update

from mailer.cli import cli
from mailer.errors import SettingsError
from mailer.render.email import Email
from mailer.send.campaigns import get_campaign
from mailer.send.deliveries import delivery_counts
from mailer.send.links import RecipientLinks
from mailer.send.states import DeliveryState
from mailer.send.tables import campaigns, deliveries
from mailer.send.window import Stopped, Window, stage_campaign, stop_at_sendgrid
from mailer.settings import load_settings
from mailer.transports.errors import Rejected
from subscribers.db import write_transaction
from tests.fakesendgrid import FakeSendGrid
from tests.plugins.content import ROOT
from tests.plugins.sendgrid import TEST_API_KEY, sendgrid_transport_for
from tests.plugins.sending import (
    CANCEL_WINDOW,
    SAMPLE_ISSUE,
    START,
    FakeClock,
    add_people,
    admin_for,
    cli_env,
    send_with_window,
)

WINDOW = CANCEL_WINDOW
SEND_AT = int((START + WINDOW).timestamp())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(fake_sendgrid_factory: Callable[..., FakeSendGrid], clock: FakeClock) -> FakeSendGrid:
    started = fake_sendgrid_factory(api_key=TEST_API_KEY)
    started.admin.schedule.clock = lambda: clock.now.timestamp()
    return started


def test_every_request_goes_under_one_batch_id_with_send_at_the_window_ahead(
    engine: Engine,
    sample_email: Email,
    server: FakeSendGrid,
    recipient_links: RecipientLinks,
    clock: FakeClock,
) -> None:
    add_people(engine, 5)
    report = send_with_window(engine, sample_email, server, recipient_links, clock)
    assert report.status == "sent"
    bodies = [item.body for item in server.accepted()]
    assert len(bodies) == 3
    campaign = get_campaign(engine, sample_email.issue_id)
    assert campaign is not None
    assert {(b["batch_id"], b["send_at"]) for b in bodies} == {(campaign.sg_batch_id, SEND_AT)}
    assert campaign.sg_send_at == START + WINDOW


def test_a_resumed_campaign_keeps_its_batch_id_and_send_at(
    engine: Engine, sample_email: Email, server: FakeSendGrid, clock: FakeClock
) -> None:
    add_people(engine, 1)
    from mailer.send.campaigns import start_campaign

    campaign = start_campaign(engine, sample_email, transport="sendgrid", now=START)
    window = Window(WINDOW, admin_for(server))
    transport = sendgrid_transport_for(server)
    first, _ = stage_campaign(engine, campaign, transport, window, now=START)
    again, _ = stage_campaign(engine, first, transport, window, now=START + timedelta(minutes=3))
    assert (again.sg_batch_id, again.sg_send_at) == (first.sg_batch_id, START + WINDOW)
    assert len(server.admin.schedule.batches) == 1


def test_cancel_within_the_window_cancels_at_sendgrid_and_marks_deliveries_cancelled(
    engine: Engine,
    sample_email: Email,
    server: FakeSendGrid,
    recipient_links: RecipientLinks,
    clock: FakeClock,
) -> None:
    add_people(engine, 5)
    send_with_window(engine, sample_email, server, recipient_links, clock)
    campaign = get_campaign(engine, sample_email.issue_id)
    assert campaign is not None
    assert campaign.sg_batch_id is not None
    clock.now = START + timedelta(minutes=2)
    outcome = stop_at_sendgrid(engine, campaign, admin_for(server), status="cancel", now=clock())
    assert outcome == (Stopped.CANCELLED, 5)
    assert server.admin.schedule.batches[campaign.sg_batch_id] == "cancel"
    counts = delivery_counts(engine, campaign.id)
    assert (counts["cancelled"], counts["accepted"]) == (5, 0)


def test_an_unknown_delivery_is_cancelled_too(
    engine: Engine,
    sample_email: Email,
    server: FakeSendGrid,
    recipient_links: RecipientLinks,
    clock: FakeClock,
) -> None:
    add_people(engine, 2)
    send_with_window(engine, sample_email, server, recipient_links, clock)
    campaign = get_campaign(engine, sample_email.issue_id)
    assert campaign is not None
    with write_transaction(engine) as connection:
        connection.execute(
            update(deliveries)
            .where(deliveries.c.campaign_id == campaign.id)
            .values(status=DeliveryState.UNKNOWN)
        )
    stop_at_sendgrid(engine, campaign, admin_for(server), status="cancel", now=clock())
    assert delivery_counts(engine, campaign.id)["cancelled"] == 2


def test_in_sendgrids_last_10_minutes_it_refuses_and_sendgrid_has_it(
    engine: Engine,
    sample_email: Email,
    server: FakeSendGrid,
    recipient_links: RecipientLinks,
    clock: FakeClock,
) -> None:
    add_people(engine, 3)
    send_with_window(engine, sample_email, server, recipient_links, clock)
    campaign = get_campaign(engine, sample_email.issue_id)
    assert campaign is not None
    assert campaign.sg_batch_id is not None
    clock.now = START + timedelta(minutes=6)  # 9 minutes before send_at
    outcome = stop_at_sendgrid(engine, campaign, admin_for(server), status="cancel", now=clock())
    assert outcome == (Stopped.TOO_LATE, 0)
    assert server.admin.schedule.delivered(campaign.sg_batch_id)
    assert delivery_counts(engine, campaign.id)["accepted"] == 3


def test_after_send_at_nothing_is_asked_of_sendgrid(
    engine: Engine,
    sample_email: Email,
    server: FakeSendGrid,
    recipient_links: RecipientLinks,
    clock: FakeClock,
) -> None:
    add_people(engine, 1)
    send_with_window(engine, sample_email, server, recipient_links, clock)
    campaign = get_campaign(engine, sample_email.issue_id)
    assert campaign is not None
    requests = server.requests
    later = START + WINDOW + timedelta(seconds=1)
    outcome = stop_at_sendgrid(engine, campaign, admin_for(server), status="cancel", now=later)
    assert outcome == (Stopped.TOO_LATE, 0)
    assert server.requests == requests


@pytest.mark.parametrize(
    ("batch", "ahead", "message"),
    [
        ("made", timedelta(hours=72, minutes=1), "send_at cannot be more than 72 hours"),
        ("unknown", WINDOW, "The batch id is not valid."),
    ],
)
def test_the_fake_enforces_sendgrids_limits_on_scheduled_mail(
    server: FakeSendGrid,
    clock: FakeClock,
    transport_email: Email,
    batch: str,
    ahead: timedelta,
    message: str,
) -> None:
    from tests.plugins.sendgrid import make_outgoing

    batch_id = admin_for(server).new_batch_id() if batch == "made" else "nosuchbatch"
    send_at = int((clock() + ahead).timestamp())
    transport = sendgrid_transport_for(server).scheduled(batch_id, send_at)
    with pytest.raises(Rejected, match=message):
        transport.send_batch(transport_email, make_outgoing(1))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5m", "between 15m"),
        ("73h", "between 15m"),
        ("soon", "expected a duration such as 15m or 2h"),
        (15, "expected a duration such as 15m or 2h"),
    ],
)
def test_a_bad_cancel_window_is_one_line_naming_the_field(
    tmp_path: Path, value: object, expected: str
) -> None:
    text = (ROOT / "newsletter.yaml").read_text(encoding="utf-8")
    path = tmp_path / "newsletter.yaml"
    path.write_text(text + f"\nsending:\n  cancel_window: {value}\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    (problem,) = caught.value.problems
    assert "sending.cancel_window" in str(problem)
    assert expected in str(problem)
    assert f"{path}:" in str(problem)


@pytest.mark.parametrize(("value", "minutes"), [("15m", 15), ("90min", 90), ("2h", 120)])
def test_a_cancel_window_is_read_as_a_duration(tmp_path: Path, value: str, minutes: int) -> None:
    text = (ROOT / "newsletter.yaml").read_text(encoding="utf-8")
    path = tmp_path / "newsletter.yaml"
    path.write_text(text + f"\nsending:\n  cancel_window: {value}\n", encoding="utf-8")
    assert load_settings(path).sending.cancel_window == timedelta(minutes=minutes)


# -- the CLI, on the real clock ----------------------------------------------------------------

Newsletter = Callable[..., Result]


@pytest.fixture
def newsletter(project_copy: Path, db_url: str, clean_env: pytest.MonkeyPatch) -> Newsletter:
    settings = project_copy / "newsletter.yaml"
    settings.write_text(settings.read_text() + "\nsending:\n  cancel_window: 15m\n")

    def run(*args: str, server: FakeSendGrid) -> Result:
        env = cli_env(db_url, server_url=server.url)
        return CliRunner().invoke(cli, ["--project", str(project_copy), *args], env=env)

    return run


@pytest.fixture
def live(fake_sendgrid_factory: Callable[..., FakeSendGrid]) -> FakeSendGrid:
    return fake_sendgrid_factory(api_key=TEST_API_KEY)


def test_cancel_within_the_window_from_the_cli(
    engine: Engine, live: FakeSendGrid, newsletter: Newsletter
) -> None:
    add_people(engine, 3)
    assert newsletter("send", SAMPLE_ISSUE, "--yes", server=live).exit_code == 0
    campaign = get_campaign(engine, SAMPLE_ISSUE)
    assert campaign is not None
    assert campaign.status == "sent"
    result = newsletter("campaigns", "cancel", SAMPLE_ISSUE, "--yes", server=live)
    assert result.exit_code == 0, result.output
    assert f"SendGrid cancelled batch {campaign.sg_batch_id} before its send_at" in result.stdout
    assert "3 deliveries cancelled; nobody receives them" in result.stdout
    cancelled = get_campaign(engine, SAMPLE_ISSUE)
    assert cancelled is not None
    assert cancelled.status == "cancelled"
    again = newsletter("send", SAMPLE_ISSUE, "--yes", server=live)
    assert "was already cancelled; nothing sent" in again.stderr
    assert len(live.accepted_delivery_ids()) == 3


def test_cancel_after_sendgrid_stops_taking_changes_says_sendgrid_has_it(
    engine: Engine, live: FakeSendGrid, newsletter: Newsletter
) -> None:
    add_people(engine, 2)
    assert newsletter("send", SAMPLE_ISSUE, "--yes", server=live).exit_code == 0
    campaign = get_campaign(engine, SAMPLE_ISSUE)
    assert campaign is not None
    assert campaign.sg_send_at is not None
    freeze = campaign.sg_send_at.timestamp() - 300
    live.admin.schedule.clock = lambda: freeze
    result = newsletter("campaigns", "cancel", SAMPLE_ISSUE, "--yes", server=live)
    assert result.exit_code == 1
    assert "SendGrid has it" in result.stderr
    after = get_campaign(engine, SAMPLE_ISSUE)
    assert after is not None
    assert after.status == "sent"


def test_pause_and_resume_within_the_window_hold_and_release_the_batch(
    engine: Engine, live: FakeSendGrid, newsletter: Newsletter
) -> None:
    add_people(engine, 2)
    assert newsletter("send", SAMPLE_ISSUE, "--yes", server=live).exit_code == 0
    campaign = get_campaign(engine, SAMPLE_ISSUE)
    assert campaign is not None
    assert campaign.sg_batch_id is not None
    shown = json.loads(newsletter("campaigns", "show", SAMPLE_ISSUE, "--json", server=live).stdout)
    assert shown["sendgrid_batch"] == campaign.sg_batch_id
    assert campaign.sg_send_at is not None
    assert shown["sendgrid_send_at"] == campaign.sg_send_at.isoformat()
    paused = newsletter("campaigns", "pause", SAMPLE_ISSUE, server=live)
    assert paused.exit_code == 0, paused.output
    assert live.admin.schedule.batches[campaign.sg_batch_id] == "pause"
    resumed = newsletter("campaigns", "resume", SAMPLE_ISSUE, server=live)
    assert resumed.exit_code == 0, resumed.output
    assert f"SendGrid batch {campaign.sg_batch_id}: resumed" in resumed.stdout
    assert live.admin.schedule.delivered(campaign.sg_batch_id)


def test_without_a_window_cancel_does_not_call_sendgrid(
    engine: Engine, live: FakeSendGrid, project_copy: Path, db_url: str
) -> None:
    add_people(engine, 1)
    env = cli_env(db_url, server_url=live.url)
    args = ["--project", str(project_copy)]
    assert CliRunner().invoke(cli, [*args, "send", SAMPLE_ISSUE, "--yes"], env=env).exit_code == 0
    with write_transaction(engine) as connection:
        connection.execute(update(campaigns).values(status="sending"))
    requests = live.requests
    result = CliRunner().invoke(cli, [*args, "campaigns", "cancel", SAMPLE_ISSUE, "--yes"], env=env)
    assert result.exit_code == 0
    assert "SendGrid" not in result.output
    assert live.requests == requests
