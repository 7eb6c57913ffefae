"""The effects of newly recorded SendGrid events, applied in bulk inside the recorder's transaction.

The same changes as :func:`subscribers.store.mark_bounced`, ``mark_complained`` and
``unsubscribe`` and :func:`mailer.send.deliveries.settle_unknown_delivery`, written for many
rows at once (one statement per effect instead of one transaction per event), each change in the
audit log.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from mailer.events.webhook import Effect, Event, Settlement
from mailer.send.tables import ACCEPTED, DELIVERY_FAILED, UNKNOWN, deliveries
from subscribers.models import (
    ACTIVE,
    BOUNCED,
    COMPLAINED,
    FORGOTTEN,
    PENDING,
    UNSUBSCRIBED,
    audit_log,
    subscribers,
    subscriptions,
)

CHUNK = 5000  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


def chunked(values: Iterable[Any]) -> Iterable[list[Any]]:
    """The distinct values, sorted, in lists of at most ``CHUNK``."""
    items = sorted(set(values))
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def apply_effects(
    connection: Connection,
    fresh: Sequence[tuple[Event, dict[str, Any]]],
    campaign_lists: Mapping[int, str],
    *,
    who: str,
    now: datetime,
) -> dict[str, int]:
    """Apply the effects of newly recorded events; counts by effect."""
    bounced: set[int] = set()
    complained: set[int] = set()
    leaving: dict[str | None, set[int]] = {}
    settle: dict[Settlement, set[int]] = {Settlement.ACCEPTED: set(), Settlement.DROPPED: set()}
    for event, row in fresh:
        subscriber_id = row["subscriber_id"]
        if event.settles is not None and row["_delivery_row"] is not None:
            settle[event.settles].add(row["_delivery_row"])
        if subscriber_id is None:
            continue
        if event.effect is Effect.BOUNCED:
            bounced.add(subscriber_id)
        elif event.effect is Effect.COMPLAINED:
            complained.add(subscriber_id)
        elif event.effect is Effect.UNSUBSCRIBED:
            list_id = event.list_id or campaign_lists.get(row["campaign_id"])
            leaving.setdefault(list_id, set()).add(subscriber_id)
    return {
        "bounced": _suppress(connection, bounced, BOUNCED, "bounced_at", who=who, now=now),
        "complained": _suppress(
            connection, complained, COMPLAINED, "complained_at", who=who, now=now
        ),
        "unsubscribed": _unsubscribe(connection, leaving, who=who, now=now),
        "settled": _settle(connection, settle[Settlement.ACCEPTED], ACCEPTED, "processed", now)
        + _settle(connection, settle[Settlement.DROPPED], DELIVERY_FAILED, "dropped", now),
    }


def _audit(
    connection: Connection,
    public_ids: Collection[str],
    action: str,
    detail: str,
    who: str,
    now: datetime,
) -> None:
    if public_ids:
        connection.execute(
            insert(audit_log),
            [
                {
                    "at": now,
                    "who": who[:200],
                    "action": action,
                    "subject": public_id,
                    "count": 1,
                    "detail": detail,
                }
                for public_id in sorted(public_ids)
            ],
        )


def _suppress(
    connection: Connection, ids: set[int], status: str, stamp: str, *, who: str, now: datetime
) -> int:
    """As :func:`subscribers.store.mark_bounced` / ``mark_complained``, for many at once."""
    changed: list[str] = []
    for chunk in chunked(ids):
        changed += connection.execute(
            update(subscribers)
            .where(subscribers.c.id.in_(chunk), subscribers.c.status.not_in((status, FORGOTTEN)))
            .values(status=status, updated_at=now, **{stamp: now})
            .returning(subscribers.c.public_id)
        ).scalars()
    _audit(connection, changed, status, "SendGrid event", who, now)
    return len(changed)


def _unsubscribe(
    connection: Connection, leaving: dict[str | None, set[int]], *, who: str, now: datetime
) -> int:
    """As :func:`subscribers.store.unsubscribe`, for many at once, grouped by list."""
    everyone: set[int] = set()
    for list_id, ids in sorted(leaving.items(), key=lambda item: item[0] or ""):
        changed: set[int] = set()
        for chunk in chunked(ids):
            condition = [
                subscriptions.c.subscriber_id.in_(chunk),
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
                            subscribers.c.id.in_(chunk), subscribers.c.status.in_((PENDING, ACTIVE))
                        )
                        .values(status=UNSUBSCRIBED, unsubscribed_at=now, updated_at=now)
                        .returning(subscribers.c.id)
                    ).scalars()
                )
        public_ids: list[str] = []
        for chunk in chunked(changed):
            public_ids += connection.execute(
                select(subscribers.c.public_id).where(subscribers.c.id.in_(chunk))
            ).scalars()
        _audit(connection, public_ids, "unsubscribe", list_id or "all lists", who, now)
        everyone |= changed
    return len(everyone)


def _settle(connection: Connection, rows: set[int], status: str, kind: str, now: datetime) -> int:
    """As :func:`mailer.send.deliveries.settle_unknown_delivery`, for many deliveries at once."""
    note = f"settled by SendGrid event: {kind}"
    settled = 0
    for chunk in chunked(rows):
        batch_ids = list(
            connection.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(chunk), deliveries.c.status == UNKNOWN)
                .values(status=status, note=note, updated_at=now)
                .returning(deliveries.c.batch_id)
            ).scalars()
        )
        settled += len(batch_ids)
    return settled
