"""The signed webhook end to end: real HTTP, keys the tests generate, a real database."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import Engine
from starlette.types import ASGIApp

from mailer.events.store import DatabaseRecorder
from mailer.events.webhook import PUBLIC_KEY_ENV
from mailer.send.deliveries import delivery_counts
from mailer.send.states import DeliveryState
from mailer.settings import Project
from mailer.web import create_app
from subscribers.store import get_subscriber
from tests.eventlog import event_for, sent_campaign, stored_events
from tests.plugins.web import MutableClock, Signer, make_payload

PATH = "/webhooks/sendgrid"


@pytest.fixture
def webhook(
    engine: Engine,
    web_project: Project,
    signer: Signer,
    clock: MutableClock,
    serve: Callable[[ASGIApp], httpx.Client],
) -> httpx.Client:
    app = create_app(
        web_project,
        clock=clock,
        recorder=DatabaseRecorder(engine, clock=clock),
        environ={PUBLIC_KEY_ENV: signer.public_key},
    )
    return serve(app)


def test_signed_events_are_recorded(engine: Engine, webhook: httpx.Client, signer: Signer) -> None:
    campaign = sent_campaign(engine, 3, outcome=DeliveryState.UNKNOWN)
    payload = make_payload(
        [
            event_for(campaign, 0, "processed"),
            event_for(campaign, 1, "bounce", type="bounce"),
            event_for(campaign, 2, "spamreport"),
        ]
    )
    response = webhook.post(PATH, content=payload, headers=signer.headers(payload))
    assert (response.status_code, response.json()) == (200, {"received": 3})
    assert get_subscriber(engine, campaign.deliveries[1].subscriber_id).status == "bounced"
    assert get_subscriber(engine, campaign.deliveries[2].subscriber_id).status == "complained"
    assert delivery_counts(engine, campaign.id)["accepted"] == 1


def test_a_replayed_request_is_answered_and_changes_nothing(
    engine: Engine, webhook: httpx.Client, signer: Signer
) -> None:
    campaign = sent_campaign(engine, 2)
    payload = make_payload([event_for(campaign, 0, "open"), event_for(campaign, 1, "click")])
    first = webhook.post(PATH, content=payload, headers=signer.headers(payload))
    again = webhook.post(PATH, content=payload, headers=signer.headers(payload))
    assert (first.status_code, again.status_code) == (200, 200)
    assert stored_events(engine) == 2


def test_a_batch_of_a_thousand_events_in_one_request(
    engine: Engine, webhook: httpx.Client, signer: Signer
) -> None:
    campaign = sent_campaign(engine, 500)
    bodies = [event_for(campaign, i % 500, ("delivered", "open")[i // 500]) for i in range(1000)]
    payload = make_payload(bodies)
    response = webhook.post(PATH, content=payload, headers=signer.headers(payload))
    assert response.json() == {"received": 1000}
    assert stored_events(engine) == 1000


def test_a_forged_request_records_nothing(
    engine: Engine, webhook: httpx.Client, signer: Signer
) -> None:
    campaign = sent_campaign(engine, 1)
    payload = make_payload([event_for(campaign, 0, "spamreport")])
    response = webhook.post(PATH, content=payload, headers=Signer().headers(payload))
    assert response.status_code == 403
    assert stored_events(engine) == 0
    assert get_subscriber(engine, campaign.deliveries[0].subscriber_id).status == "active"
