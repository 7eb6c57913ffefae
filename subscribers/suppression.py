"""What leaving does: unsubscribe, a hard bounce, a spam complaint; one rule each, for many.

These are the only functions that apply those rules. The single-row functions of
:mod:`subscribers.store` (``unsubscribe``, ``mark_bounced``, ``mark_complained``) run them for one
subscriber in their own write transaction; a caller that already holds one (the SendGrid event
recorder in ``mailer``) runs them for many subscribers at once, with one statement per chunk of
ids. Each takes the connection of the caller's transaction, never commits, and returns the ids
of the subscribers it changed; every change is in the audit log (one entry per subscriber), and
a subscriber already in the target state is left alone and not logged.

- **hard bounce** / **complaint**: the subscriber becomes ``bounced`` / ``complained`` (both
  suppress every list) with ``bounced_at`` / ``complained_at`` stamped; a forgotten subscriber
  stays forgotten.
- **unsubscribe** from one list: that subscription becomes ``unsubscribed``. From every list
  (``list_id`` None): every subscription, and a ``pending`` or ``active`` subscriber becomes
  ``unsubscribed`` too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from subscribers.audit import record_actions
from subscribers.bulk import chunked, member_of
from subscribers.models import (
    ACTIVE,
    BOUNCED,
    COMPLAINED,
    FORGOTTEN,
    PENDING,
    UNSUBSCRIBED,
    subscribers,
    subscriptions,
)

__all__ = ["mark_bounced_many", "mark_complained_many", "unsubscribe_many"]


def mark_bounced_many(
    connection: Connection, ids: Iterable[int], *, who: str, now: datetime, detail: str = ""
) -> set[int]:
    """Suppress these subscribers after a hard bounce; the ids whose status changed."""
    return _suppress_many(connection, ids, BOUNCED, "bounced_at", who=who, now=now, detail=detail)


def mark_complained_many(
    connection: Connection, ids: Iterable[int], *, who: str, now: datetime, detail: str = ""
) -> set[int]:
    """Suppress these subscribers after a spam complaint; the ids whose status changed."""
    return _suppress_many(
        connection, ids, COMPLAINED, "complained_at", who=who, now=now, detail=detail
    )


def unsubscribe_many(
    connection: Connection,
    ids: Iterable[int],
    list_id: str | None = None,
    *,
    who: str,
    now: datetime,
    source: str | None = None,
) -> set[int]:
    """Unsubscribe these subscribers from ``list_id``, or from everything when it is None.

    Returns the ids of those for whom something changed (unsubscribing twice is harmless).
    ``source`` goes in the audit entries (``campaign:12``: through that campaign's link).
    """
    changed: set[int] = set()
    for chunk in chunked(ids):
        condition: list[Any] = [
            member_of(connection, subscriptions.c.subscriber_id, chunk),
            subscriptions.c.status != UNSUBSCRIBED,
        ]
        if list_id is not None:
            condition.append(subscriptions.c.list_id == list_id)
        changed.update(
            connection.execute(
                update(subscriptions)
                .where(*condition)
                .values(status=UNSUBSCRIBED, unsubscribed_at=now, updated_at=now)
                .returning(subscriptions.c.subscriber_id)
            ).scalars()
        )
        if list_id is None:
            changed.update(
                connection.execute(
                    update(subscribers)
                    .where(
                        member_of(connection, subscribers.c.id, chunk),
                        subscribers.c.status.in_((PENDING, ACTIVE)),
                    )
                    .values(status=UNSUBSCRIBED, unsubscribed_at=now, updated_at=now)
                    .returning(subscribers.c.id)
                ).scalars()
            )
    public_ids: list[str] = []
    for chunk in chunked(changed):
        public_ids += connection.execute(
            select(subscribers.c.public_id).where(member_of(connection, subscribers.c.id, chunk))
        ).scalars()
    record_actions(
        connection,
        public_ids,
        who=who,
        action="unsubscribe",
        detail=list_id or "all lists",
        source=source,
        now=now,
    )
    return changed


def _suppress_many(
    connection: Connection,
    ids: Iterable[int],
    status: str,
    stamp: str,
    *,
    who: str,
    now: datetime,
    detail: str,
) -> set[int]:
    """Set ``status`` (and stamp ``stamp``) on those not already in it and not forgotten."""
    changed: dict[int, str] = {}
    for chunk in chunked(ids):
        rows = connection.execute(
            update(subscribers)
            .where(
                member_of(connection, subscribers.c.id, chunk),
                subscribers.c.status.not_in((status, FORGOTTEN)),
            )
            .values(status=status, updated_at=now, **{stamp: now})
            .returning(subscribers.c.id, subscribers.c.public_id)
        )
        changed.update({row.id: row.public_id for row in rows})
    record_actions(connection, changed.values(), who=who, action=status, detail=detail, now=now)
    return set(changed)
