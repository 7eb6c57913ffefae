"""``move_campaign``: the one place the CLI and the console pause, resume and cancel a
campaign, in the ledger and, for a campaign staged under a cancel window, at SendGrid."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from mailer.render.email import Email
from mailer.send.campaigns import Campaign, get_campaign
from mailer.send.control import move_campaign
from mailer.send.links import RecipientLinks
from mailer.send.states import CampaignState
from mailer.send.window import BatchControl, Stopped
from tests.fakesendgrid import FakeSendGrid
from tests.plugins.sendgrid import TEST_API_KEY
from tests.plugins.sending import (
    START,
    FakeClock,
    add_people,
    admin_for,
    open_test_campaign,
    send_with_window,
)

STOPPABLE = (CampaignState.SENDING, CampaignState.PAUSED)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(fake_sendgrid_factory: Callable[..., FakeSendGrid], clock: FakeClock) -> FakeSendGrid:
    started = fake_sendgrid_factory(api_key=TEST_API_KEY)
    started.admin.schedule.clock = lambda: clock.now.timestamp()
    return started


def staged(
    engine: Engine, email: Email, server: FakeSendGrid, links: RecipientLinks, clock: FakeClock
) -> Campaign:
    add_people(engine, 3)
    send_with_window(engine, email, server, links, clock)
    campaign = get_campaign(engine, email.issue_id)
    assert campaign is not None
    return campaign


def test_cancel_of_a_staged_campaign_cancels_the_batch_then_the_ledger(
    engine: Engine,
    sample_email: Email,
    server: FakeSendGrid,
    recipient_links: RecipientLinks,
    clock: FakeClock,
) -> None:
    campaign = staged(engine, sample_email, server, recipient_links, clock)
    outcome = move_campaign(
        engine,
        campaign,
        CampaignState.CANCELLED,
        only_from=STOPPABLE,
        control=lambda: admin_for(server),
        now=START + timedelta(minutes=2),
        reason="cancelled by a person",
    )
    assert (outcome.moved, outcome.was) == (True, CampaignState.SENT)
    assert outcome.sendgrid is not None
    assert (outcome.sendgrid.stopped, outcome.sendgrid.cancelled) == (Stopped.CANCELLED, 3)
    assert outcome.sendgrid.sentence().startswith(
        f"SendGrid cancelled batch {campaign.sg_batch_id} before its send_at"
    )


def test_too_late_at_sendgrid_leaves_the_ledger_alone(
    engine: Engine,
    sample_email: Email,
    server: FakeSendGrid,
    recipient_links: RecipientLinks,
    clock: FakeClock,
) -> None:
    campaign = staged(engine, sample_email, server, recipient_links, clock)
    clock.now = START + timedelta(minutes=6)
    outcome = move_campaign(
        engine,
        campaign,
        CampaignState.CANCELLED,
        only_from=STOPPABLE,
        control=lambda: admin_for(server),
        now=clock.now,
    )
    assert outcome.moved is False
    assert outcome.sendgrid is not None
    assert outcome.sendgrid.too_late
    assert outcome.sendgrid.sentence().startswith("SendGrid has it")
    after = get_campaign(engine, campaign.id)
    assert after is not None
    assert after.status == CampaignState.SENT


def test_a_campaign_not_staged_never_builds_the_sendgrid_control(
    engine: Engine, sample_email: Email
) -> None:
    campaign = open_test_campaign(engine, sample_email)

    def no_control() -> BatchControl:
        raise AssertionError("SendGrid was asked about a campaign it does not hold")

    outcome = move_campaign(
        engine,
        campaign,
        CampaignState.PAUSED,
        only_from=(CampaignState.SENDING,),
        control=no_control,
        now=START,
    )
    assert (outcome.moved, outcome.sendgrid) == (True, None)
