"""Fixtures for recording SendGrid events: campaigns with deliveries, and events that name them.

``sent_campaign(engine, n)`` sends nothing: it opens a campaign for ``n`` new subscribers through
the ledger functions (snapshot, claim, settle) and leaves every delivery ``accepted`` (or
``unknown`` with ``outcome=UNKNOWN``). ``event_for(delivery, kind)`` is the SendGrid event of that
delivery, parsed by the real :func:`mailer.events.webhook.parse_events`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from mailer.events.tables import events
from mailer.events.webhook import Event, parse_events
from mailer.send.campaigns import Campaign, delivery_ref, get_campaign, snapshot_audience
from mailer.send.deliveries import claim_batch, settle_batch
from mailer.send.states import DeliveryState
from subscribers.db import read_connection
from tests.plugins.sendgrid import make_email
from tests.plugins.sending import LIST_ID, add_people, open_test_campaign

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Sent:
    """A delivery of a test campaign: what SendGrid's events would carry."""

    ref: str
    row_id: int
    subscriber_id: int
    email: str


@dataclass(frozen=True)
class SentCampaign:
    campaign: Campaign
    deliveries: list[Sent]

    @property
    def id(self) -> int:
        return self.campaign.id


def sent_campaign(
    engine: Engine,
    count: int,
    *,
    issue_id: str = "2026-12-research-news",
    start: int = 0,
    outcome: str = DeliveryState.ACCEPTED,
    list_id: str = LIST_ID,
) -> SentCampaign:
    """A ``sending`` campaign whose ``count`` deliveries are all ``outcome``."""
    people = add_people(engine, count, start=start, list_id=list_id)
    opened = open_test_campaign(engine, make_email(issue_id=issue_id, list_id=list_id), now=NOW)
    snapshot_audience(engine, opened, now=NOW)
    batch = claim_batch(
        engine, opened.id, worker_id="test:1:w", size=count, lease=timedelta(minutes=5), now=NOW
    )
    assert batch is not None
    assert len(batch.recipients) == count
    settle_batch(engine, batch.id, outcome, now=NOW, message_id="msg-1")
    by_subscriber = {p.id: p.email for p in people}
    sent = [
        Sent(
            delivery_ref(opened.id, r.row_id),
            r.row_id,
            r.subscriber_id,
            by_subscriber[r.subscriber_id],
        )
        for r in batch.recipients
    ]
    campaign = get_campaign(engine, opened.id)
    assert campaign is not None
    return SentCampaign(campaign, sent)


def raw_event(
    sent: Sent | None,
    kind: str,
    *,
    campaign: SentCampaign | None = None,
    event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One SendGrid-shaped event for ``sent`` (custom args as the sender attaches them)."""
    body: dict[str, Any] = {
        "email": sent.email if sent else "nobody@example.net",
        "event": kind,
        "timestamp": int(NOW.timestamp()) - 30,
        "sg_event_id": event_id or f"{kind}-{sent.ref if sent else 'none'}",
        "sg_message_id": "msg-1.filter0001",
    }
    if sent is not None:
        body["delivery_id"] = sent.ref
    if campaign is not None:
        body.update(
            campaign_id=str(campaign.id),
            issue_id=campaign.campaign.issue_id,
            list_id=campaign.campaign.list_id,
        )
    body.update(extra)
    return body


def parsed(*bodies: dict[str, Any]) -> tuple[Event, ...]:
    return parse_events(json.dumps(list(bodies)).encode() + b"\r\n")


def event_for(campaign: SentCampaign, index: int, kind: str, **extra: Any) -> dict[str, Any]:
    return raw_event(campaign.deliveries[index], kind, campaign=campaign, **extra)


def stored_events(engine: Engine) -> int:
    with read_connection(engine) as connection:
        return int(connection.execute(select(func.count()).select_from(events)).scalar_one())


__all__ = ["LIST_ID", "NOW", "Sent", "SentCampaign", "event_for", "parsed", "raw_event"]
