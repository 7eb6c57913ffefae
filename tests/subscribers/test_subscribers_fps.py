"""Fundraising Preference Service requests: an address suppressed for good, subscriber or not."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from subscribers.audience import count_audience
from subscribers.audit import list_entries
from subscribers.db import read_connection
from subscribers.errors import SubscriberError, Suppressed
from subscribers.fps import is_suppressed, suppress_address
from subscribers.importer import import_csv
from subscribers.keys import AddressHasher
from subscribers.models import suppressed_addresses
from subscribers.store import Consent, get_by_email, get_subscriber, subscribe

HASHER = AddressHasher([b"k" * 32])
LIST = "research-news"
NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
ASKED = date(2026, 11, 28)
REASON = "suppressed: a Fundraising Preference Service request of 2026-11-28, ref FPS-123456"


def fps(engine: Engine, email: str = "jo@example.org") -> object:
    return suppress_address(
        engine,
        email,
        source="fps",
        hasher=HASHER,
        who="os:alice",
        requested_on=ASKED,
        reference="FPS-123456",
        now=NOW,
    )


def add(engine: Engine, email: str, *, reopt_in: bool = False) -> object:
    return subscribe(
        engine,
        email,
        LIST,
        consent=Consent("staff"),
        hasher=HASHER,
        who="test",
        confirmed=True,
        reopt_in=reopt_in,
    )


def test_a_non_subscriber_is_suppressed_without_keeping_the_address(engine: Engine) -> None:
    fps(engine, "Jo@Example.org")
    assert get_by_email(engine, "jo@example.org") is None
    with read_connection(engine) as connection:
        [row] = connection.execute(select(suppressed_addresses)).all()
    assert "jo@example.org" not in (row.address_hash, row.reference)
    assert (row.source, row.requested_on, row.actioned_at) == ("fps", ASKED, NOW)
    assert is_suppressed(engine, HASHER, "JO@example.org")


def test_an_import_refuses_a_suppressed_non_subscriber_with_the_reason(
    engine: Engine, tmp_path: Path
) -> None:
    fps(engine)
    path = tmp_path / "people.csv"
    path.write_text("email\nann@example.org\njo@example.org\n")
    summary = import_csv(engine, path, LIST, hasher=HASHER, who="test")
    assert (summary.added, summary.suppressed) == (1, 1)
    assert summary.sample_rejects == [(3, REASON)]
    assert get_by_email(engine, "jo@example.org") is None


def test_a_signup_for_a_suppressed_address_is_refused_with_the_reason(engine: Engine) -> None:
    fps(engine)
    with pytest.raises(Suppressed) as refused:
        add(engine, "jo@example.org")
    assert str(refused.value) == f"jo@example.org is {REASON}"
    assert refused.value.status == "fps"


def test_an_explicit_new_opt_in_lifts_the_suppression_and_is_logged(engine: Engine) -> None:
    fps(engine)
    add(engine, "jo@example.org", reopt_in=True)
    assert not is_suppressed(engine, HASHER, "jo@example.org")
    assert [e.action for e in list_entries(engine, limit=3)][:2] == ["consent", "unsuppress"]


def test_a_subscriber_is_unsubscribed_from_every_list(engine: Engine) -> None:
    add(engine, "jo@example.org")
    subscribe(engine, "jo@example.org", "appeals", consent=Consent("staff"), hasher=HASHER, who="t")
    result = fps(engine)
    assert result.unsubscribed  # type: ignore[attr-defined]
    jo = get_subscriber(engine, "jo@example.org")
    assert (jo.status, jo.lists) == (
        "unsubscribed",
        {LIST: "unsubscribed", "appeals": "unsubscribed"},
    )
    assert count_audience(engine, LIST) == 0


def test_the_audit_log_records_the_request_and_the_date_it_was_actioned(engine: Engine) -> None:
    fps(engine)
    [entry] = list_entries(engine, action="suppress")
    assert (entry.at, entry.who, entry.subject, entry.count) == (NOW, "os:alice", None, 0)
    assert entry.detail == (
        "fps request of 2026-11-28, ref FPS-123456, actioned 2026-12-03 (not a subscriber)"
    )


def test_a_second_request_keeps_the_first_and_is_logged_too(engine: Engine) -> None:
    fps(engine)
    again = fps(engine)
    assert again.already  # type: ignore[attr-defined]
    with read_connection(engine) as connection:
        assert len(connection.execute(select(suppressed_addresses)).all()) == 1
    assert len(list_entries(engine, action="suppress")) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"source": "phone"}, "unknown source 'phone'; expected fps or request"),
        ({"requested_on": date(2026, 12, 4)}, "the request date 2026-12-04 is in the future"),
    ],
)
def test_a_request_that_cannot_be_right_is_refused(
    engine: Engine, changes: dict[str, object], message: str
) -> None:
    options: dict[str, object] = {
        "source": "fps",
        "hasher": HASHER,
        "who": "t",
        "requested_on": ASKED,
        "now": NOW,
        **changes,
    }
    with pytest.raises(SubscriberError, match=message):
        suppress_address(engine, "jo@example.org", **options)  # type: ignore[arg-type]
