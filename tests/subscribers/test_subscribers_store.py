from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from subscribers.audit import list_entries
from subscribers.errors import InvalidAddress, Suppressed, UnknownSubscriber
from subscribers.keys import AddressHasher
from subscribers.privacy import export_data, forget, purge_pending
from subscribers.store import (
    Consent,
    active_ids_for,
    confirm,
    get_by_email,
    get_by_public_id,
    get_subscriber,
    mark_bounced,
    mark_complained,
    subscribe,
    unsubscribe,
    update_preferences,
)

HASHER = AddressHasher([b"k" * 32])
FORM = Consent(source="form", wording="Yes, send me research news", ip="192.0.2.1")
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def add(engine: Engine, email: str = "Ann@Example.org", **kwargs: object) -> int:
    options: dict[str, object] = {"consent": FORM, "hasher": HASHER, "who": "test"}
    options.update(kwargs)
    return subscribe(engine, email, "research-news", **options).id  # type: ignore[arg-type]


def test_subscribe_creates_a_pending_subscriber_with_consent(engine: Engine) -> None:
    sub = subscribe(
        engine, "ann@example.org", "research-news", consent=FORM, hasher=HASHER, who="t"
    )
    assert (sub.status, sub.lists) == ("pending", {"research-news": "pending"})
    data = export_data(engine, "ann@example.org")
    assert data["subscriber"]["consents"][0]["ip"] == "192.0.2.1"


def test_email_is_unique_case_insensitively(engine: Engine) -> None:
    first = add(engine, "Ann@Example.org")
    assert add(engine, "ANN@example.ORG") == first


def test_invalid_address_is_refused(engine: Engine) -> None:
    with pytest.raises(InvalidAddress):
        add(engine, "not-an-address")


def test_confirm_makes_pending_active(engine: Engine) -> None:
    sid = add(engine)
    sub = confirm(engine, sid, who="t")
    assert (sub.status, sub.lists["research-news"]) == ("active", "active")
    assert sid in active_ids_for(engine, [sid], "research-news")


def test_unsubscribe_from_one_list_keeps_the_other(engine: Engine) -> None:
    sid = add(engine, confirmed=True)
    subscribe(
        engine, "ann@example.org", "appeals", consent=FORM, hasher=HASHER, who="t", confirmed=True
    )
    assert unsubscribe(engine, sid, "appeals", who="t")
    assert active_ids_for(engine, [sid], "research-news") == {sid}
    assert active_ids_for(engine, [sid], "appeals") == set()


def test_unsubscribe_everything_suppresses(engine: Engine) -> None:
    sid = add(engine, confirmed=True)
    assert unsubscribe(engine, sid, who="t")
    assert get_subscriber(engine, sid).status == "unsubscribed"
    assert not unsubscribe(engine, sid, who="t")


@pytest.mark.parametrize("suppress", ["unsubscribe", "bounce", "complain", "list"])
def test_suppressed_address_is_not_reactivated_without_new_opt_in(
    engine: Engine, suppress: str
) -> None:
    sid = add(engine, confirmed=True)
    if suppress == "unsubscribe":
        unsubscribe(engine, sid, who="t")
    elif suppress == "bounce":
        mark_bounced(engine, sid, who="t")
    elif suppress == "complain":
        mark_complained(engine, sid, who="t")
    else:
        unsubscribe(engine, sid, "research-news", who="t")
    with pytest.raises(Suppressed):
        add(engine, confirmed=True)
    assert sid not in active_ids_for(engine, [sid], "research-news")


def test_explicit_new_opt_in_reactivates_after_confirmation(engine: Engine) -> None:
    sid = add(engine, confirmed=True)
    unsubscribe(engine, sid, who="t")
    again = subscribe(
        engine,
        "ann@example.org",
        "research-news",
        consent=FORM,
        hasher=HASHER,
        who="t",
        reopt_in=True,
    )
    assert again.status == "pending"
    assert confirm(engine, sid, who="t").status == "active"


def test_lookup_by_public_id_and_email(engine: Engine) -> None:
    sid = add(engine, first_name="Ann")
    sub = get_subscriber(engine, sid)
    assert get_by_public_id(engine, sub.public_id) == sub
    assert get_by_email(engine, "ANN@example.org") == sub
    assert get_by_email(engine, "nobody@example.org") is None


def test_unknown_subscriber_is_an_error(engine: Engine) -> None:
    with pytest.raises(UnknownSubscriber):
        unsubscribe(engine, "nobody@example.org", who="t")


def test_update_preferences_replaces_lists_and_interests(engine: Engine) -> None:
    sid = add(engine, confirmed=True, interests=["trials"])
    sub = update_preferences(
        engine, sid, who="t", first_name="Annie", lists=["appeals"], interests=["lobular"]
    )
    assert sub.first_name == "Annie"
    assert sub.lists == {"research-news": "unsubscribed", "appeals": "active"}
    assert sub.interests == {"lobular"}


def test_forget_erases_personal_data_and_blocks_reimport(engine: Engine) -> None:
    sid = add(engine, first_name="Ann", confirmed=True)
    assert forget(engine, "ann@example.org", hasher=HASHER, who="t")
    sub = get_subscriber(engine, sid)
    assert (sub.email, sub.first_name, sub.status, sub.lists) == (None, None, "forgotten", {})
    with pytest.raises(Suppressed):
        add(engine, confirmed=True)


def test_forget_matches_hash_made_with_a_previous_key(engine: Engine) -> None:
    forget(engine, "ann@example.org", hasher=AddressHasher([b"old" * 8]), who="t")
    rotated = AddressHasher([b"new" * 8, b"old" * 8])
    with pytest.raises(Suppressed):
        add(engine, hasher=rotated)


def test_purge_pending_deletes_only_old_unconfirmed(engine: Engine) -> None:
    add(engine, "old@example.org", now=NOW - timedelta(days=40))
    add(engine, "new@example.org", now=NOW - timedelta(days=1))
    add(engine, "kept@example.org", now=NOW - timedelta(days=40), confirmed=True)
    assert purge_pending(engine, timedelta(days=30), who="t", now=NOW) == 1
    assert get_by_email(engine, "old@example.org") is None


def test_audit_log_records_who_and_what(engine: Engine) -> None:
    sid = add(engine, confirmed=True)
    unsubscribe(engine, sid, who="os:alice", now=NOW)
    entry = list_entries(engine, limit=1)[0]
    assert (entry.who, entry.action, entry.count, entry.at) == ("os:alice", "unsubscribe", 1, NOW)


def test_audit_log_is_append_only(engine: Engine) -> None:
    add(engine)
    with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log"))


@pytest.mark.parametrize(
    "address",
    [
        "Ann@Example.ORG",
        "o'brien+news@example.org",
        "a.b.c@sub.example.co.uk",
        "ÁNN@example.org",
        "ann@bücher.example",
        '"quoted"@example.org',
        "a..b@example.org",
        "ann@localhost",
        "ann@example",
        "x" * 65 + "@example.org",
        "ann@-example.org",
        " ann@example.org ",
    ],
)
def test_fast_address_check_agrees_with_email_validator(address: str) -> None:
    from email_validator import EmailNotValidError, validate_email

    from subscribers.store import normalise_email

    try:
        expected: str | None = validate_email(
            address.strip(), check_deliverability=False
        ).normalized
    except EmailNotValidError:
        expected = None
    try:
        got: str | None = normalise_email(address)[0]
    except InvalidAddress:
        got = None
    assert got == expected
