"""The effects of newly recorded SendGrid events, applied in bulk inside the recorder's transaction.

Bounces, complaints and unsubscribes go through the subscribers package's own rules
(:mod:`subscribers.suppression`: the same functions the single-row ``mark_bounced``,
``mark_complained`` and ``unsubscribe`` run), for many subscribers at once, each change in the
audit log. Settling an unknown delivery is the change of
:func:`mailer.send.deliveries.settle_unknown_delivery`, for many deliveries at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, update

from mailer.events.webhook import Effect, Event, Settlement
from mailer.send.states import DeliveryState
from mailer.send.tables import deliveries
from subscribers.bulk import chunked
from subscribers.db import is_sqlite
from subscribers.suppression import mark_bounced_many, mark_complained_many, unsubscribe_many

#: The audit log's detail for a suppression caused by a SendGrid event.
EVENT_DETAIL = "SendGrid event"
NOTE = "settled by SendGrid event: "
FAILED = DeliveryState.FAILED.value


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
    counts = {
        "bounced": len(
            mark_bounced_many(connection, bounced, who=who, now=now, detail=EVENT_DETAIL)
        ),
        "complained": len(
            mark_complained_many(connection, complained, who=who, now=now, detail=EVENT_DETAIL)
        ),
    }
    unsubscribed: set[int] = set()
    for list_id, ids in sorted(leaving.items(), key=lambda item: item[0] or ""):
        unsubscribed |= unsubscribe_many(connection, ids, list_id, who=who, now=now)
    return {
        **counts,
        "unsubscribed": len(unsubscribed),
        "settled": _settle(
            connection, settle[Settlement.ACCEPTED], settle[Settlement.DROPPED], now
        ),
    }


def _settle(connection: Connection, processed: set[int], dropped: set[int], now: datetime) -> int:
    """As :func:`mailer.send.deliveries.settle_unknown_delivery`, for many deliveries at once.

    Processed (accepted) and dropped (failed) go in one UPDATE (on PostgreSQL one for the whole
    batch), so the running totals' trigger (migration 0010) takes its counters' locks in one
    order and two webhook batches settling at once cannot deadlock.
    """
    dropped = dropped - processed  # processed first: a delivery both is accepted
    everyone = sorted(processed | dropped)
    if not everyone:
        return 0
    chunks = [everyone] if not is_sqlite(connection) else list(chunked(everyone))
    settled = 0
    for chunk in chunks:
        accepted = [row for row in chunk if row in processed]
        is_processed = deliveries.c.id.in_(accepted)
        result = connection.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(chunk), deliveries.c.status == DeliveryState.UNKNOWN)
            .values(
                status=case((is_processed, DeliveryState.ACCEPTED.value), else_=FAILED),
                note=case((is_processed, NOTE + "processed"), else_=NOTE + "dropped"),
                updated_at=now,
            )
        )
        settled += int(result.rowcount)
    return settled
