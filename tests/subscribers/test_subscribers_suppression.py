"""What the event recorder calls in its transaction: leaving rules for many, id lookups."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from subscribers.audit import list_entries
from subscribers.db import write_transaction
from subscribers.keys import AddressHasher
from subscribers.privacy import forget
from subscribers.records import ids_by_email_key, normalise_email
from subscribers.store import (
    Consent,
    get_subscriber,
    mark_bounced,
    mark_bounced_many,
    mark_complained_many,
    subscribe,
    unsubscribe_many,
)

HASHER = AddressHasher([b"k" * 32])
FORM = Consent(source="form", wording="Yes, send me research news", ip="192.0.2.1")
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def add(engine: Engine, email: str, *lists: str) -> int:
    """An active subscriber on ``lists`` (research-news when none are given)."""
    subscriber_id = 0
    for list_id in lists or ("research-news",):
        subscriber_id = subscribe(
            engine, email, list_id, consent=FORM, hasher=HASHER, who="t", confirmed=True
        ).id
    return subscriber_id


def test_mark_bounced_many_suppresses_each_once_and_logs_each_change(engine: Engine) -> None:
    ann, bob, cat = (add(engine, f"{name}@example.org") for name in ("ann", "bob", "cat"))
    mark_bounced(engine, bob, who="t")
    with write_transaction(engine) as connection:
        changed = mark_bounced_many(
            connection, [ann, bob, cat, ann], who="hook", now=NOW, detail="SendGrid event"
        )
    assert changed == {ann, cat}
    for subscriber_id in (ann, cat):
        found = get_subscriber(engine, subscriber_id)
        assert (found.status, found.bounced_at) == ("bounced", NOW)
    entries = list_entries(engine, action="bounced", limit=10)
    by_hook = sorted(e.subject or "" for e in entries if e.who == "hook")
    expected = sorted(get_subscriber(engine, i).public_id for i in (ann, cat))
    assert by_hook == expected
    assert {(e.count, e.detail, e.at) for e in entries if e.who == "hook"} == {
        (1, "SendGrid event", NOW)
    }


def test_mark_complained_many_leaves_forgotten_subscribers_forgotten(engine: Engine) -> None:
    ann = add(engine, "ann@example.org")
    gone = add(engine, "gone@example.org")
    forget(engine, "gone@example.org", hasher=HASHER, who="t")
    with write_transaction(engine) as connection:
        assert mark_complained_many(connection, [ann, gone], who="hook", now=NOW) == {ann}
    assert get_subscriber(engine, ann).status == "complained"
    assert get_subscriber(engine, gone).status == "forgotten"


def test_unsubscribe_many_from_one_list_keeps_the_others(engine: Engine) -> None:
    ann = add(engine, "ann@example.org", "research-news", "appeals")
    bob = add(engine, "bob@example.org", "appeals")
    with write_transaction(engine) as connection:
        changed = unsubscribe_many(connection, [ann, bob], "research-news", who="hook", now=NOW)
        again = unsubscribe_many(connection, [ann, bob], "research-news", who="hook", now=NOW)
    assert (changed, again) == ({ann}, set())
    found = get_subscriber(engine, ann)
    assert (found.status, found.lists) == (
        "active",
        {"research-news": "unsubscribed", "appeals": "active"},
    )
    (entry,) = [e for e in list_entries(engine, action="unsubscribe") if e.who == "hook"]
    assert (entry.subject, entry.detail) == (found.public_id, "research-news")


def test_unsubscribe_many_from_everything_unsubscribes_the_subscriber(engine: Engine) -> None:
    ann = add(engine, "ann@example.org", "research-news", "appeals")
    with write_transaction(engine) as connection:
        assert unsubscribe_many(connection, [ann], who="hook", now=NOW) == {ann}
    found = get_subscriber(engine, ann)
    assert found.status == "unsubscribed"
    assert set(found.lists.values()) == {"unsubscribed"}
    (entry,) = [e for e in list_entries(engine, action="unsubscribe") if e.who == "hook"]
    assert entry.detail == "all lists"


def test_the_rules_write_nothing_when_the_callers_transaction_rolls_back(engine: Engine) -> None:
    ann = add(engine, "ann@example.org")

    def leave_then_fail() -> None:
        with write_transaction(engine) as connection:
            mark_bounced_many(connection, [ann], who="hook", now=NOW)
            unsubscribe_many(connection, [ann], who="hook", now=NOW)
            raise RuntimeError("the caller fails after the rule ran")

    with pytest.raises(RuntimeError, match="after the rule ran"):
        leave_then_fail()
    assert get_subscriber(engine, ann).status == "active"
    assert [e for e in list_entries(engine) if e.who == "hook"] == []


def test_no_ids_change_nothing(engine: Engine) -> None:
    with write_transaction(engine) as connection:
        assert mark_bounced_many(connection, [], who="hook", now=NOW) == set()
        assert unsubscribe_many(connection, [], who="hook", now=NOW) == set()
    assert list_entries(engine) == []


def test_ids_by_email_key_finds_the_addresses_the_store_holds(engine: Engine) -> None:
    ann = add(engine, "Ann@Example.org")
    with write_transaction(engine) as connection:
        found = ids_by_email_key(
            connection, [normalise_email("ANN@example.org")[1], "nobody@example.org"]
        )
    assert found == {normalise_email("ann@example.org")[1]: ann}
