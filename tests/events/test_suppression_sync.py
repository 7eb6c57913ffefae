"""Suppression sync against the fake SendGrid server: each list's effect, pages, watermarks,
push batching and idempotence, 429 and 5xx."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from mailer.events.suppression_sync import sync_suppressions
from mailer.events.sync_tables import watermarks
from mailer.transports.errors import RetryBudgetExhausted
from subscribers.db import read_connection, write_transaction
from subscribers.fps import suppress_address
from subscribers.keys import AddressHasher
from subscribers.models import subscribers
from subscribers.privacy import forget
from subscribers.pushqueue import push_queue
from tests.fakesendgrid import FakeSendGrid, FaultPlan
from tests.plugins.sendgrid import TEST_API_KEY
from tests.plugins.sending import START, Person, add_people, admin_for, fast_retry

NOW = START
CREATED = int((START - timedelta(hours=1)).timestamp())


def status_of(engine: Engine, person: Person) -> str:
    with read_connection(engine) as connection:
        return str(
            connection.execute(
                select(subscribers.c.status).where(subscribers.c.id == person.id)
            ).scalar_one()
        )


def set_status(engine: Engine, people: list[Person], status: str) -> None:
    stamp = "complained_at" if status == "complained" else "unsubscribed_at"
    with write_transaction(engine) as connection:
        connection.execute(
            update(subscribers)
            .where(subscribers.c.id.in_([p.id for p in people]))
            .values(status=status, **{stamp: NOW - timedelta(days=1)})
        )


@pytest.mark.parametrize(
    ("list_type", "status"),
    [
        ("bounces", "bounced"),
        ("spam_reports", "complained"),
        ("invalid_emails", "bounced"),
        ("unsubscribes", "unsubscribed"),
        ("blocks", "active"),  # a blocked bounce does not suppress
    ],
)
def test_each_list_is_applied_as_its_webhook_event(
    engine: Engine, server: FakeSendGrid, list_type: str, status: str
) -> None:
    person, other = add_people(engine, 2)
    server.admin.seed(list_type, person.email.upper(), CREATED)
    report = sync_suppressions(engine, admin_for(server), now=NOW)
    assert (status_of(engine, person), status_of(engine, other)) == (status, "active")
    assert report.pulled[list_type] == 1
    assert report.changed[list_type] == (0 if status == "active" else 1)


def test_lists_are_read_in_pages_until_a_short_page(engine: Engine, server: FakeSendGrid) -> None:
    people = add_people(engine, 7)
    for index, person in enumerate(people):
        server.admin.seed("bounces", person.email, CREATED + index)
    report = sync_suppressions(engine, admin_for(server), now=NOW, page_size=3)
    offsets = [query["offset"] for name, query in server.admin.gets if name == "bounces"]
    assert offsets == [0, 3, 6]
    assert {status_of(engine, p) for p in people} == {"bounced"}
    assert report.changed["bounces"] == 7


def test_the_next_run_starts_at_the_watermark_and_reapplies_nothing(
    engine: Engine, server: FakeSendGrid
) -> None:
    first, second = add_people(engine, 2)
    server.admin.seed("spam_reports", first.email, CREATED)
    sync_suppressions(engine, admin_for(server), now=NOW)
    server.admin.seed("spam_reports", second.email, int(NOW.timestamp()) + 60)
    later = NOW + timedelta(minutes=5)
    report = sync_suppressions(engine, admin_for(server), now=later)
    starts = [q["start_time"] for name, q in server.admin.gets if name == "spam_reports"]
    assert starts == [0, int(NOW.timestamp())]
    assert report.pulled["spam_reports"] == 1
    assert status_of(engine, second) == "complained"


def test_a_page_that_fails_records_the_pages_before_it_and_the_next_run_resumes(
    engine: Engine, fake_sendgrid_factory: Callable[..., FakeSendGrid]
) -> None:
    plan = FaultPlan(per_path=(("/v3/suppression/bounces", ("ok", "500", "500")),))
    server = fake_sendgrid_factory(api_key=TEST_API_KEY, plan=plan)
    people = add_people(engine, 5)
    for index, person in enumerate(people):
        server.admin.seed("bounces", person.email, CREATED + index)
    failing = admin_for(server, policy=fast_retry(max_attempts=2))
    with pytest.raises(RetryBudgetExhausted):
        sync_suppressions(engine, failing, now=NOW, page_size=2)
    with read_connection(engine) as connection:
        row = connection.execute(select(watermarks)).one()
    assert (row.list_type, row.watermark, row.run_offset) == ("bounces", 0, 2)
    assert [status_of(engine, p) for p in people].count("bounced") == 2
    sync_suppressions(engine, admin_for(server), now=NOW + timedelta(hours=1), page_size=2)
    resumed = [q for name, q in server.admin.gets if name == "bounces"][-2:]
    end = int(NOW.timestamp())
    assert [(q["start_time"], q["offset"], q["end_time"]) for q in resumed] == [
        (0, 2, end),
        (0, 4, end),
    ]
    assert {status_of(engine, p) for p in people} == {"bounced"}


@pytest.mark.parametrize("fault", ["429", "500", "503"])
def test_429_and_5xx_are_retried(engine: Engine, fake_sendgrid_factory: Any, fault: str) -> None:
    plan = FaultPlan(per_path=(("/v3/suppression/unsubscribes", (fault, fault)),))
    server = fake_sendgrid_factory(api_key=TEST_API_KEY, plan=plan)
    (person,) = add_people(engine, 1)
    server.admin.seed("unsubscribes", person.email, CREATED)
    report = sync_suppressions(engine, admin_for(server), now=NOW)
    assert server.faults.count(f"/v3/suppression/unsubscribes:{fault}") == 2
    assert report.changed["unsubscribes"] == 1


def test_the_retry_budget_is_bounded(engine: Engine, fake_sendgrid_factory: Any) -> None:
    plan = FaultPlan(per_path=(("/v3/suppression/bounces", ("503",) * 10),))
    server = fake_sendgrid_factory(api_key=TEST_API_KEY, plan=plan)
    with pytest.raises(RetryBudgetExhausted, match="gave up after 3 attempt"):
        sync_suppressions(engine, admin_for(server, policy=fast_retry(max_attempts=3)), now=NOW)


def test_local_unsubscribes_and_complaints_are_pushed_in_batches_once(
    engine: Engine, server: FakeSendGrid
) -> None:
    people = add_people(engine, 7)
    set_status(engine, people[:4], "unsubscribed")
    set_status(engine, people[4:6], "complained")
    report = sync_suppressions(engine, admin_for(server), now=NOW, push_batch=4)
    pushed = server.admin.pushed("global")
    assert [len(batch) for batch in pushed] == [4, 2]
    assert sorted(e for batch in pushed for e in batch) == sorted(p.email for p in people[:6])
    assert report.pushed == {"unsubscribed": 4, "complained": 2, "forgotten": 0}
    again = sync_suppressions(engine, admin_for(server), now=NOW + timedelta(minutes=1))
    assert len(server.admin.pushed("global")) == 2
    assert sum(again.pushed.values()) == 0


def test_someone_who_unsubscribes_again_after_the_push_is_pushed_again(
    engine: Engine, server: FakeSendGrid
) -> None:
    (person,) = add_people(engine, 1)
    set_status(engine, [person], "unsubscribed")
    sync_suppressions(engine, admin_for(server), now=NOW)
    with write_transaction(engine) as connection:
        connection.execute(
            update(subscribers)
            .where(subscribers.c.id == person.id)
            .values(unsubscribed_at=NOW + timedelta(days=2))
        )
    sync_suppressions(engine, admin_for(server), now=NOW + timedelta(days=3))
    assert server.admin.pushed("global") == [(person.email,), (person.email,)]


def test_with_an_asm_group_pushes_go_to_that_group(engine: Engine, server: FakeSendGrid) -> None:
    (person,) = add_people(engine, 1)
    set_status(engine, [person], "complained")
    report = sync_suppressions(engine, admin_for(server), now=NOW, group_id=4242)
    assert server.admin.pushed("group:4242") == [(person.email,)]
    assert server.admin.pushed("global") == []
    assert report.target == "group:4242"


def test_a_forgotten_address_is_pushed_then_dropped_from_the_queue(
    engine: Engine, server: FakeSendGrid
) -> None:
    (person,) = add_people(engine, 1)
    hasher = AddressHasher([b"test-only-hash-key-0123456789"])
    forget(engine, person.email, hasher=hasher, who="test", now=NOW, push=True)
    report = sync_suppressions(engine, admin_for(server), now=NOW)
    assert server.admin.pushed("global") == [(person.email,)]
    assert report.pushed["forgotten"] == 1
    with read_connection(engine) as connection:
        assert connection.execute(select(push_queue)).all() == []


def test_an_fps_suppressed_non_subscriber_is_pushed_too(
    engine: Engine, server: FakeSendGrid
) -> None:
    hasher = AddressHasher([b"test-only-hash-key-0123456789"])
    suppress_address(
        engine, "Not.A.Subscriber@example.org", source="fps", hasher=hasher, who="t", push=True
    )
    report = sync_suppressions(engine, admin_for(server), now=NOW)
    assert server.admin.pushed("global") == [("Not.A.Subscriber@example.org",)]
    assert report.pushed == {"unsubscribed": 0, "complained": 0, "forgotten": 0, "fps": 1}
    again = sync_suppressions(engine, admin_for(server), now=NOW)
    assert sum(again.pushed.values()) == 0


def test_forget_without_push_queues_nothing(engine: Engine) -> None:
    (person,) = add_people(engine, 1)
    hasher = AddressHasher([b"test-only-hash-key-0123456789"])
    forget(engine, person.email, hasher=hasher, who="test", now=NOW)
    with read_connection(engine) as connection:
        assert connection.execute(select(push_queue)).all() == []


def test_a_dry_run_counts_and_changes_nothing(engine: Engine, server: FakeSendGrid) -> None:
    first, second = add_people(engine, 2)
    server.admin.seed("bounces", first.email, CREATED)
    set_status(engine, [second], "unsubscribed")
    report = sync_suppressions(engine, admin_for(server), now=NOW, dry_run=True)
    assert (report.changed["bounces"], report.pushed["unsubscribed"]) == (1, 1)
    assert status_of(engine, first) == "active"
    assert server.admin.pushed("global") == []
    with read_connection(engine) as connection:
        assert connection.execute(select(watermarks)).all() == []
