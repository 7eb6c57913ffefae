"""The subscriber store: opt-in with consent, confirmation, unsubscribe, suppression.

Every write takes ``who`` (for the audit log) and an optional ``now`` (an injected clock).
A subscriber is referred to by a :class:`Subscriber`, its integer ``id``, or its address
(a ``str``). Suppressed addresses (unsubscribed, bounced, complained, forgotten) are never made
active again unless the caller passes ``reopt_in=True`` for an explicit new opt-in.

This module is the store's public face: it re-exports the lookups of
:mod:`subscribers.records` and the data-protection functions of :mod:`subscribers.privacy`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, and_, delete, insert, select, update

from subscribers.audience import active_ids_for
from subscribers.audit import record_action
from subscribers.db import write_transaction
from subscribers.errors import Suppressed
from subscribers.fps import refuse_blocked
from subscribers.keys import AddressHasher
from subscribers.models import (
    ACTIVE,
    CONSENT,
    PENDING,
    SUPPRESSED_STATUSES,
    UNSUBSCRIBED,
    consents,
    subscriber_interests,
    subscribers,
    subscriptions,
)
from subscribers.privacy import export_data, forget, purge_pending
from subscribers.records import (
    MAX_NAME,
    Basis,
    Consent,
    Subscriber,
    SubscriberRef,
    consent_row,
    find_subscriber,
    get_by_email,
    get_by_public_id,
    get_subscriber,
    new_public_id,
    normalise_email,
    require_subscriber,
)
from subscribers.suppression import mark_bounced_many, mark_complained_many, unsubscribe_many

__all__ = [
    "Basis",
    "Consent",
    "Subscriber",
    "SubscriberRef",
    "active_ids_for",
    "confirm",
    "export_data",
    "forget",
    "get_by_email",
    "get_by_public_id",
    "get_subscriber",
    "mark_bounced",
    "mark_bounced_many",
    "mark_complained",
    "mark_complained_many",
    "normalise_email",
    "purge_pending",
    "subscribe",
    "unsubscribe",
    "unsubscribe_many",
    "update_preferences",
]


def subscribe(
    engine: Engine,
    email: str,
    list_id: str,
    *,
    consent: Consent,
    hasher: AddressHasher,
    who: str,
    first_name: str | None = None,
    last_name: str | None = None,
    interests: Iterable[str] = (),
    attributes: Mapping[str, Any] | None = None,
    confirmed: bool = False,
    reopt_in: bool = False,
    now: datetime | None = None,
) -> Subscriber:
    """Opt ``email`` in to ``list_id`` with a consent record.

    ``confirmed`` makes the subscription active at once (staff add, import with consent);
    otherwise it is pending until :func:`confirm`. Suppressed addresses raise Suppressed
    unless ``reopt_in`` (an explicit new opt-in by the person).
    """
    now = now or datetime.now(UTC)
    address, key = normalise_email(email)
    target = ACTIVE if confirmed else PENDING
    with write_transaction(engine) as connection:
        refuse_blocked(connection, hasher, address, key, reopt_in=reopt_in, who=who, now=now)
        existing = find_subscriber(connection, address)
        if existing is None:
            subscriber_id = connection.execute(
                insert(subscribers)
                .values(
                    public_id=new_public_id(),
                    email=address,
                    email_key=key,
                    first_name=_clip(first_name),
                    last_name=_clip(last_name),
                    status=target,
                    attributes=dict(attributes or {}),
                    created_at=now,
                    updated_at=now,
                    confirmed_at=now if confirmed else None,
                )
                .returning(subscribers.c.id)
            ).scalar_one()
            list_status = None
        else:
            subscriber_id = existing.id
            list_status = existing.lists.get(list_id)
            suppressed = existing.status in SUPPRESSED_STATUSES or list_status == UNSUBSCRIBED
            if suppressed and not reopt_in:
                status = existing.status if existing.status in SUPPRESSED_STATUSES else UNSUBSCRIBED
                raise Suppressed(f"{address} is {status}; it needs a new opt-in", status)
            changes: dict[str, Any] = {"updated_at": now}
            if first_name:
                changes["first_name"] = _clip(first_name)
            if last_name:
                changes["last_name"] = _clip(last_name)
            if attributes:
                changes["attributes"] = {**existing.attributes, **attributes}
            if confirmed and existing.status != ACTIVE:
                changes.update(status=ACTIVE, confirmed_at=now)
            elif existing.status in SUPPRESSED_STATUSES:
                changes["status"] = PENDING
            connection.execute(
                update(subscribers).where(subscribers.c.id == subscriber_id).values(**changes)
            )
        _join_list(connection, subscriber_id, list_id, list_status, target, consent, now)
        _add_interests(connection, subscriber_id, interests)
        connection.execute(
            insert(consents).values(consent_row(subscriber_id, list_id, consent, now))
        )
        loaded = require_subscriber(connection, subscriber_id)
        record_action(
            connection,
            who=who,
            action="consent",
            count=1,
            detail=f"{consent.source}: {list_id} ({target}, {consent.basis.kind})",
            subject=loaded.public_id,
            now=now,
        )
        return loaded


def _join_list(
    connection: Connection,
    subscriber_id: int,
    list_id: str,
    list_status: str | None,
    target: str,
    consent: Consent,
    now: datetime,
) -> None:
    """The subscription to ``list_id`` after an opt-in, with the opt-in's lawful basis."""
    basis = consent.basis.columns()
    if list_status is None:
        connection.execute(
            insert(subscriptions).values(
                subscriber_id=subscriber_id,
                list_id=list_id,
                status=target,
                created_at=now,
                updated_at=now,
                **basis,
            )
        )
    elif list_status != ACTIVE:
        connection.execute(
            update(subscriptions)
            .where(_subscription(subscriber_id, list_id))
            .values(status=target, updated_at=now, unsubscribed_at=None, **basis)
        )
    elif consent.basis.kind == CONSENT:  # consent replaces a soft opt-in, never the reverse
        connection.execute(
            update(subscriptions)
            .where(_subscription(subscriber_id, list_id), subscriptions.c.basis != CONSENT)
            .values(updated_at=now, **basis)
        )


def confirm(
    engine: Engine, ref: SubscriberRef, *, who: str, now: datetime | None = None
) -> Subscriber:
    """Pending → active, with every pending subscription. Suppressed raises Suppressed."""
    now = now or datetime.now(UTC)
    with write_transaction(engine) as connection:
        found = require_subscriber(connection, ref)
        if found.status in SUPPRESSED_STATUSES:
            raise Suppressed(f"this subscriber is {found.status}", found.status)
        if found.status == PENDING:
            connection.execute(
                update(subscribers)
                .where(subscribers.c.id == found.id)
                .values(status=ACTIVE, confirmed_at=now, updated_at=now)
            )
        changed = connection.execute(
            update(subscriptions)
            .where(subscriptions.c.subscriber_id == found.id, subscriptions.c.status == PENDING)
            .values(status=ACTIVE, updated_at=now)
        ).rowcount
        if found.status == PENDING or changed:
            record_action(
                connection, who=who, action="confirm", count=1, subject=found.public_id, now=now
            )
        return require_subscriber(connection, found.id)


def unsubscribe(
    engine: Engine,
    ref: SubscriberRef,
    list_id: str | None = None,
    *,
    who: str,
    now: datetime | None = None,
    source: str | None = None,
) -> bool:
    """Unsubscribe from one list, or from everything when ``list_id`` is None.

    Returns True when something changed (unsubscribing twice is harmless). The rule is
    :func:`subscribers.suppression.unsubscribe_many`'s; ``source`` (what the unsubscribe came
    through, e.g. ``campaign:12``) is kept in the audit log.
    """
    now = now or datetime.now(UTC)
    with write_transaction(engine) as connection:
        found = require_subscriber(connection, ref)
        changed = unsubscribe_many(connection, [found.id], list_id, who=who, now=now, source=source)
        return bool(changed)


def mark_bounced(
    engine: Engine, ref: SubscriberRef, *, who: str, now: datetime | None = None
) -> bool:
    """Suppress after a hard bounce. Returns True when the status changed."""
    return _one(engine, ref, mark_bounced_many, who=who, now=now)


def mark_complained(
    engine: Engine, ref: SubscriberRef, *, who: str, now: datetime | None = None
) -> bool:
    """Suppress after a spam complaint. Returns True when the status changed."""
    return _one(engine, ref, mark_complained_many, who=who, now=now)


class _ManyRule(Protocol):
    def __call__(
        self, connection: Connection, ids: Iterable[int], *, who: str, now: datetime
    ) -> set[int]: ...


def _one(
    engine: Engine,
    ref: SubscriberRef,
    rule: _ManyRule,
    *,
    who: str,
    now: datetime | None,
) -> bool:
    """Apply a many-subscriber ``rule`` of :mod:`subscribers.suppression` to one subscriber."""
    now = now or datetime.now(UTC)
    with write_transaction(engine) as connection:
        found = require_subscriber(connection, ref)
        return bool(rule(connection, [found.id], who=who, now=now))


_UNSET: Any = object()


def update_preferences(
    engine: Engine,
    ref: SubscriberRef,
    *,
    who: str,
    first_name: str | None = _UNSET,
    last_name: str | None = _UNSET,
    lists: Iterable[str] | None = None,
    interests: Iterable[str] | None = None,
    consent: Consent | None = None,
    now: datetime | None = None,
) -> Subscriber:
    """What the person chose on the preferences page.

    ``lists`` is the complete set they want: others are unsubscribed, new ones become active
    (the person's own explicit opt-in, recorded with ``consent``, default source
    "preferences"). ``interests`` replaces their interests (empty: everything).
    """
    now = now or datetime.now(UTC)
    consent = consent or Consent(source="preferences")
    with write_transaction(engine) as connection:
        found = require_subscriber(connection, ref)
        changes: dict[str, Any] = {"updated_at": now}
        if first_name is not _UNSET:
            changes["first_name"] = _clip(first_name)
        if last_name is not _UNSET:
            changes["last_name"] = _clip(last_name)
        if lists is not None:
            wanted = set(lists)
            for list_id, status in found.lists.items():
                if list_id not in wanted and status != UNSUBSCRIBED:
                    connection.execute(
                        update(subscriptions)
                        .where(_subscription(found.id, list_id))
                        .values(status=UNSUBSCRIBED, unsubscribed_at=now, updated_at=now)
                    )
            for list_id in sorted(wanted):
                current = found.lists.get(list_id)
                if current == ACTIVE:
                    continue
                basis = consent.basis.columns()
                if current is None:
                    connection.execute(
                        insert(subscriptions).values(
                            subscriber_id=found.id,
                            list_id=list_id,
                            status=ACTIVE,
                            created_at=now,
                            updated_at=now,
                            **basis,
                        )
                    )
                else:
                    connection.execute(
                        update(subscriptions)
                        .where(_subscription(found.id, list_id))
                        .values(status=ACTIVE, unsubscribed_at=None, updated_at=now, **basis)
                    )
                connection.execute(
                    insert(consents).values(consent_row(found.id, list_id, consent, now))
                )
            if wanted and found.status != ACTIVE:
                changes.update(status=ACTIVE, confirmed_at=now)
            elif not wanted and found.status in (PENDING, ACTIVE):
                changes.update(status=UNSUBSCRIBED, unsubscribed_at=now)
        if interests is not None:
            connection.execute(
                delete(subscriber_interests).where(subscriber_interests.c.subscriber_id == found.id)
            )
            _add_interests(connection, found.id, interests)
        connection.execute(
            update(subscribers).where(subscribers.c.id == found.id).values(**changes)
        )
        record_action(
            connection, who=who, action="preferences", count=1, subject=found.public_id, now=now
        )
        return require_subscriber(connection, found.id)


def _subscription(subscriber_id: int, list_id: str) -> Any:
    return and_(subscriptions.c.subscriber_id == subscriber_id, subscriptions.c.list_id == list_id)


def _add_interests(connection: Connection, subscriber_id: int, interests: Iterable[str]) -> None:
    wanted = set(interests)
    if not wanted:
        return
    have = set(
        connection.execute(
            select(subscriber_interests.c.interest_id).where(
                subscriber_interests.c.subscriber_id == subscriber_id
            )
        ).scalars()
    )
    rows = [{"subscriber_id": subscriber_id, "interest_id": i} for i in sorted(wanted - have)]
    if rows:
        connection.execute(insert(subscriber_interests), rows)


def _clip(value: str | None) -> str | None:
    stripped = (value or "").strip()
    return stripped[:MAX_NAME] or None
