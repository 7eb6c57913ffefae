from __future__ import annotations

import pytest
from sqlalchemy import Engine

from subscribers.audience import Recipient, count_audience, iter_audience
from subscribers.keys import AddressHasher
from subscribers.store import Consent, mark_complained, subscribe, unsubscribe

HASHER = AddressHasher([b"k" * 32])


def add(engine: Engine, name: str, list_id: str = "research-news", **kwargs: object) -> int:
    options: dict[str, object] = {
        "consent": Consent("staff"),
        "hasher": HASHER,
        "who": "t",
        "confirmed": True,
        "first_name": name.title(),
    }
    options.update(kwargs)
    return subscribe(engine, f"{name}@example.org", list_id, **options).id  # type: ignore[arg-type]


@pytest.fixture
def people(engine: Engine) -> dict[str, int]:
    ids = {
        "ann": add(engine, "ann"),
        "bob": add(engine, "bob", interests=["trials"]),
        "cara": add(engine, "cara", interests=["lobular", "secondary"]),
        "dan": add(engine, "dan", confirmed=False),
        "eve": add(engine, "eve"),
        "fay": add(engine, "fay"),
        "gus": add(engine, "gus", list_id="appeals"),
        "hal": add(engine, "hal"),
    }
    unsubscribe(engine, ids["eve"], who="t")
    mark_complained(engine, ids["fay"], who="t")
    unsubscribe(engine, ids["hal"], "research-news", who="t")
    return ids


def names(recipients: list[Recipient]) -> list[str]:
    return [r.email.split("@")[0] for r in recipients]


def test_audience_is_active_unsuppressed_subscribers_in_id_order(
    engine: Engine, people: dict[str, int]
) -> None:
    recipients = list(iter_audience(engine, "research-news"))
    assert names(recipients) == ["ann", "bob", "cara"]
    assert recipients[0] == Recipient(
        people["ann"], recipients[0].public_id, "ann@example.org", "Ann"
    )


def test_interest_filter_keeps_overlapping_and_those_without_interests(
    engine: Engine, people: dict[str, int]
) -> None:
    assert names(list(iter_audience(engine, "research-news", ["secondary"]))) == ["ann", "cara"]


def test_count_matches_the_stream(engine: Engine, people: dict[str, int]) -> None:
    assert count_audience(engine, "research-news", ["trials"]) == 2
    assert count_audience(engine, "appeals") == 1


def test_pages_cover_everything_exactly_once(engine: Engine) -> None:
    for index in range(7):
        add(engine, f"p{index}")
    streamed = list(iter_audience(engine, "research-news", page_size=3))
    assert len(streamed) == 7
    assert [r.id for r in streamed] == sorted({r.id for r in streamed})
