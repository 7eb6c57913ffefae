"""Recording SendGrid events in a real database: each effect, idempotence, settling, size."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from mailer.events.store import DatabaseRecorder, record_events
from mailer.events.tables import events
from mailer.send.deliveries import delivery_counts, unknown_batches
from mailer.send.states import DeliveryState
from mailer.send.tables import deliveries
from subscribers.audit import list_entries
from subscribers.db import read_connection, write_transaction
from subscribers.models import subscribers, subscriptions
from subscribers.store import get_subscriber
from tests.eventlog import (
    NOW,
    event_for,
    parsed,
    raw_event,
    sent_campaign,
    stored_events,
)
from tests.plugins.sending import LIST_ID


def _status(engine: Engine, subscriber_id: int) -> str:
    return get_subscriber(engine, subscriber_id).status


def _lists(engine: Engine, subscriber_id: int) -> dict[str, str]:
    return dict(get_subscriber(engine, subscriber_id).lists)


def _rows(engine: Engine) -> list[Any]:
    with read_connection(engine) as connection:
        return list(connection.execute(select(events).order_by(events.c.sg_event_id)).all())


@pytest.mark.parametrize(
    ("kind", "extra", "status"),
    [
        ("bounce", {"type": "bounce", "reason": "550 5.1.1 unknown user"}, "bounced"),
        ("bounce", {}, "bounced"),  # no type: SendGrid's hard bounce
        ("dropped", {"reason": "Bounced Address"}, "bounced"),
        ("spamreport", {}, "complained"),
    ],
    ids=["hard-bounce", "bounce-without-type", "dropped-as-bounced", "spamreport"],
)
def test_a_suppressing_event_suppresses_the_subscriber(
    engine: Engine, kind: str, extra: dict[str, Any], status: str
) -> None:
    campaign = sent_campaign(engine, 3)
    person = campaign.deliveries[1]
    summary = record_events(engine, parsed(event_for(campaign, 1, kind, **extra)), now=NOW)
    assert _status(engine, person.subscriber_id) == status
    assert _status(engine, campaign.deliveries[0].subscriber_id) == "active"
    assert summary.recorded == 1
    assert summary.bounced + summary.complained == 1
    entry = list_entries(engine, limit=1)[0]
    assert (entry.action, entry.who) == (status, "sendgrid webhook")


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("bounce", {"type": "blocked", "reason": "IP on a blocklist"}),
        ("bounce", {"type": "expired"}),
        ("dropped", {"reason": "Spam Content"}),
        ("delivered", {}),
        ("deferred", {"response": "451 try later"}),
        ("open", {}),
        ("click", {"url": "https://example.org/"}),
    ],
    ids=["blocked", "expired", "dropped-other", "delivered", "deferred", "open", "click"],
)
def test_a_counted_event_is_stored_and_suppresses_nobody(
    engine: Engine, kind: str, extra: dict[str, Any]
) -> None:
    campaign = sent_campaign(engine, 2)
    person = campaign.deliveries[0]
    summary = record_events(engine, parsed(event_for(campaign, 0, kind, **extra)), now=NOW)
    assert summary.recorded == 1
    assert _status(engine, person.subscriber_id) == "active"
    [row] = _rows(engine)
    assert (row.kind, row.campaign_id, row.subscriber_id) == (
        kind,
        campaign.id,
        person.subscriber_id,
    )


@pytest.mark.parametrize("kind", ["unsubscribe", "group_unsubscribe"])
def test_unsubscribe_leaves_the_list_the_email_came_from(engine: Engine, kind: str) -> None:
    campaign = sent_campaign(engine, 2)
    person = campaign.deliveries[0]
    _add_list(engine, person.subscriber_id, "events")
    summary = record_events(engine, parsed(event_for(campaign, 0, kind)), now=NOW)
    assert summary.unsubscribed == 1
    assert _lists(engine, person.subscriber_id) == {LIST_ID: "unsubscribed", "events": "active"}
    assert _status(engine, person.subscriber_id) == "active"
    assert list_entries(engine, limit=1)[0].detail == LIST_ID


def test_unsubscribe_without_a_list_or_campaign_leaves_every_list(engine: Engine) -> None:
    campaign = sent_campaign(engine, 1)
    person = campaign.deliveries[0]
    _add_list(engine, person.subscriber_id, "events")
    body = raw_event(None, "unsubscribe", email=person.email.upper(), event_id="u-1")
    summary = record_events(engine, parsed(body), now=NOW)
    assert summary.unsubscribed == 1
    assert set(_lists(engine, person.subscriber_id).values()) == {"unsubscribed"}
    assert _status(engine, person.subscriber_id) == "unsubscribed"
    assert list_entries(engine, limit=1)[0].detail == "all lists"


def _add_list(engine: Engine, subscriber_id: int, list_id: str) -> None:
    with write_transaction(engine) as connection:
        connection.execute(
            insert(subscriptions).values(
                subscriber_id=subscriber_id,
                list_id=list_id,
                status="active",
                created_at=NOW,
                updated_at=NOW,
            )
        )


def test_an_unknown_event_type_is_kept_but_ignored(engine: Engine) -> None:
    campaign = sent_campaign(engine, 1)
    summary = record_events(engine, parsed(event_for(campaign, 0, "machine_opened")), now=NOW)
    assert (summary.recorded, summary.ignored) == (1, 1)
    [row] = _rows(engine)
    assert (row.kind, row.event_type, row.effect) == ("other", "machine_opened", "ignored")
    assert _status(engine, campaign.deliveries[0].subscriber_id) == "active"


def test_replaying_a_batch_changes_nothing(engine: Engine) -> None:
    campaign = sent_campaign(engine, 4)
    batch = parsed(
        event_for(campaign, 0, "bounce", type="bounce"),
        event_for(campaign, 1, "spamreport"),
        event_for(campaign, 2, "unsubscribe"),
        event_for(campaign, 3, "open"),
    )
    first = record_events(engine, batch, now=NOW)
    rows, audit = _rows(engine), list_entries(engine)
    again = record_events(engine, batch, now=NOW)
    assert (first.recorded, first.bounced, first.complained, first.unsubscribed) == (4, 1, 1, 1)
    assert (again.recorded, again.duplicates) == (0, 4)
    assert (again.bounced, again.complained, again.unsubscribed) == (0, 0, 0)
    assert _rows(engine) == rows
    assert list_entries(engine) == audit


def test_an_event_repeated_within_one_batch_is_stored_once(engine: Engine) -> None:
    campaign = sent_campaign(engine, 1)
    body = event_for(campaign, 0, "open")
    summary = record_events(engine, parsed(body, body), now=NOW)
    assert (summary.received, summary.recorded) == (2, 1)
    assert stored_events(engine) == 1


def test_a_person_resubscribed_after_a_replayed_bounce_stays_subscribed(engine: Engine) -> None:
    campaign = sent_campaign(engine, 1)
    person = campaign.deliveries[0]
    batch = parsed(event_for(campaign, 0, "bounce", type="bounce"))
    record_events(engine, batch, now=NOW)
    with write_transaction(engine) as connection:  # a person fixes the address and re-opts in
        connection.execute(
            subscribers.update()
            .where(subscribers.c.id == person.subscriber_id)
            .values(status="active")
        )
    record_events(engine, batch, now=NOW)  # SendGrid retries the old batch
    assert _status(engine, person.subscriber_id) == "active"


@pytest.mark.parametrize(
    ("kind", "extra", "settled_as"),
    [
        ("processed", {}, "accepted"),
        ("dropped", {"reason": "Unsubscribed Address"}, "failed"),
    ],
)
def test_processed_or_dropped_settles_an_unknown_delivery(
    engine: Engine, kind: str, extra: dict[str, Any], settled_as: str
) -> None:
    campaign = sent_campaign(engine, 2, outcome=DeliveryState.UNKNOWN)
    summary = record_events(engine, parsed(event_for(campaign, 0, kind, **extra)), now=NOW)
    assert summary.settled == 1
    assert _delivery(engine, campaign.deliveries[0].row_id) == (
        settled_as,
        f"settled by SendGrid event: {kind}",
    )
    assert _delivery(engine, campaign.deliveries[1].row_id)[0] == DeliveryState.UNKNOWN
    assert len(unknown_batches(engine, campaign.id)) == 1  # one delivery still unknown


def test_settling_every_unknown_delivery_resolves_the_batch(engine: Engine) -> None:
    campaign = sent_campaign(engine, 2, outcome=DeliveryState.UNKNOWN)
    batch = parsed(event_for(campaign, 0, "processed"), event_for(campaign, 1, "processed"))
    summary = record_events(engine, batch, now=NOW)
    assert summary.settled == 2
    assert delivery_counts(engine, campaign.id)["accepted"] == 2
    assert unknown_batches(engine, campaign.id) == []


def test_a_dropped_event_does_not_touch_an_accepted_delivery(engine: Engine) -> None:
    campaign = sent_campaign(engine, 1)
    before = _delivery(engine, campaign.deliveries[0].row_id)
    summary = record_events(
        engine, parsed(event_for(campaign, 0, "dropped", reason="Invalid")), now=NOW
    )
    assert summary.settled == 0
    assert (
        _delivery(engine, campaign.deliveries[0].row_id) == before == (DeliveryState.ACCEPTED, None)
    )


def test_a_delivery_id_naming_another_campaign_settles_nothing(engine: Engine) -> None:
    campaign = sent_campaign(engine, 1, outcome=DeliveryState.UNKNOWN)
    row = campaign.deliveries[0].row_id
    body = event_for(campaign, 0, "processed", delivery_id=f"c{campaign.id + 1}-d{row}")
    summary = record_events(engine, parsed(body), now=NOW)
    assert summary.settled == 0
    assert _delivery(engine, row)[0] == DeliveryState.UNKNOWN


def _delivery(engine: Engine, row_id: int) -> tuple[str, str | None]:
    with read_connection(engine) as connection:
        found = connection.execute(
            select(deliveries.c.status, deliveries.c.note).where(deliveries.c.id == row_id)
        ).one()
    return found.status, found.note


def test_without_a_delivery_id_the_subscriber_is_found_by_address(engine: Engine) -> None:
    campaign = sent_campaign(engine, 1)
    person = campaign.deliveries[0]
    body = raw_event(None, "spamreport", email=f" {person.email.upper()}", event_id="s-1")
    record_events(engine, parsed(body), now=NOW)
    assert _status(engine, person.subscriber_id) == "complained"
    assert _rows(engine)[0].subscriber_id == person.subscriber_id


def test_events_for_unknown_campaigns_and_people_are_stored_unattached(engine: Engine) -> None:
    body = raw_event(None, "bounce", event_id="b-1", campaign_id="999", delivery_id="c999-d1")
    summary = record_events(
        engine, parsed(body, raw_event(None, "open", email="not an address")), now=NOW
    )
    assert summary.recorded == 2
    assert [(r.campaign_id, r.subscriber_id) for r in _rows(engine)] == [(None, None)] * 2


def test_no_email_address_is_stored(engine: Engine) -> None:
    campaign = sent_campaign(engine, 1)
    person = campaign.deliveries[0]
    body = event_for(
        campaign,
        0,
        "bounce",
        type="bounce",
        reason=f"550 5.1.1 <{person.email}>: Recipient address rejected",
    )
    click = event_for(campaign, 0, "click", url="https://news.example.org/u/AbC.token-123?x=1")
    record_events(engine, parsed(body, click), now=NOW)
    rows = _rows(engine)
    assert all("@" not in str(value) for row in rows for value in row)
    bounce = next(r for r in rows if r.kind == "bounce")
    assert bounce.reason == "550 5.1.1 <<address>>: Recipient address rejected"
    assert (
        next(r for r in rows if r.kind == "click").url == "https://news.example.org/u/<token>?x=1"
    )


def test_a_batch_of_a_thousand_events(engine: Engine) -> None:
    campaign = sent_campaign(engine, 250)
    kinds = ["processed", "delivered", "open", "click"]
    batch = parsed(
        *(
            event_for(campaign, i % 250, kinds[i // 250], url="https://example.org/a")
            for i in range(1000)
        )
    )
    summary = record_events(engine, batch, now=NOW)
    assert (summary.received, summary.recorded) == (1000, 1000)
    with read_connection(engine) as connection:
        attached = connection.execute(
            select(events.c.subscriber_id).where(events.c.campaign_id == campaign.id)
        ).scalars()
        assert len({s for s in attached if s is not None}) == 250


def test_the_database_recorder_records_with_its_clock(engine: Engine) -> None:
    campaign = sent_campaign(engine, 1)
    recorder = DatabaseRecorder(engine, clock=lambda: NOW)
    recorder(parsed(event_for(campaign, 0, "delivered")))
    assert _rows(engine)[0].received_at == NOW
