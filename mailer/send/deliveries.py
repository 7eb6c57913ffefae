"""Claiming, settling and expiring batches of deliveries: the crash-safe heart of sending.

A batch is the delivery rows that share a ``batch_id`` (there is no table of batches; see
:mod:`mailer.send.tables`).

See :mod:`mailer.send.campaigns` for the rules. A batch is claimed in one statement, sent, and then
settled: ``accepted`` after the server said so, ``unknown`` when it may have been accepted,
``failed`` when refused, or back to ``queued`` when it surely was not sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Integer, and_, any_, bindparam, func, select, update

from mailer.send.campaigns import parse_delivery_ref, worker_is_dead
from mailer.send.links import Recipient
from mailer.send.states import OPEN_DELIVERY_STATES, CampaignState, DeliveryState
from mailer.send.tables import campaigns, deliveries
from subscribers.db import is_sqlite, read_connection, write_transaction
from subscribers.models import ACTIVE, subscribers, subscriptions


@dataclass(frozen=True)
class Batch:
    """Deliveries one worker claimed together: its recipients, and how many were suppressed."""

    id: str
    campaign_id: int
    recipients: tuple[Recipient, ...]
    suppressed: int


def _claim_statements(skip_locked: bool) -> tuple[Any, Any]:
    """The claim's UPDATE and its recipients' SELECT, built once.

    Built with bind parameters and reused: building and coercing a statement per batch cost
    more Python time than the database spent running it.
    """
    pick = (
        select(deliveries.c.id)
        .where(
            deliveries.c.campaign_id == bindparam("c_campaign"),
            deliveries.c.status == DeliveryState.QUEUED,
            deliveries.c.id > bindparam("c_after", type_=Integer),
        )
        .order_by(deliveries.c.id)
        .limit(bindparam("c_size", type_=Integer))
    )
    if skip_locked:
        pick = pick.with_for_update(skip_locked=True)
        # ``id = ANY(ARRAY(…))``: PostgreSQL looks the picked ids up by primary key; with
        # ``IN (…)`` it chose a hash join over a scan of every delivery of every campaign.
        picked = deliveries.c.id == any_(func.array(pick.scalar_subquery()))
    else:
        picked = deliveries.c.id.in_(pick.scalar_subquery())
    claim = (
        update(deliveries)
        .where(picked)
        .values(
            status=DeliveryState.CLAIMED,
            batch_id=bindparam("c_batch", type_=deliveries.c.batch_id.type),
            worker_id=bindparam("c_worker", type_=deliveries.c.worker_id.type),
            lease_until=bindparam("c_lease", type_=deliveries.c.lease_until.type),
            updated_at=bindparam("c_now", type_=deliveries.c.updated_at.type),
        )
    )
    list_id = (
        select(campaigns.c.list_id)
        .where(campaigns.c.id == bindparam("c_campaign"))
        .scalar_subquery()
    )
    recipients = (
        select(
            deliveries.c.id,
            subscribers.c.id.label("subscriber_id"),
            subscribers.c.public_id,
            subscribers.c.email,
            subscribers.c.first_name,
        )
        .select_from(
            deliveries.join(subscribers, subscribers.c.id == deliveries.c.subscriber_id).join(
                subscriptions,
                and_(
                    subscriptions.c.subscriber_id == subscribers.c.id,
                    subscriptions.c.list_id == list_id,
                ),
            )
        )
        .where(
            deliveries.c.batch_id == bindparam("c_batch"),
            subscribers.c.status == ACTIVE,
            subscriptions.c.status == ACTIVE,
            subscribers.c.email.is_not(None),
        )
        .order_by(deliveries.c.id)
    )
    return claim, recipients


_CLAIM = {skip: _claim_statements(skip) for skip in (False, True)}


def claim_batch(
    engine: Engine,
    campaign_id: int,
    *,
    worker_id: str,
    size: int,
    lease: timedelta,
    now: datetime,
    after: int = 0,
) -> Batch | None:
    """Claim up to ``size`` queued deliveries in one statement; None when none are left.

    Recipients who unsubscribed, bounced or complained since the snapshot are marked
    ``suppressed`` here and left out of the batch. ``after``: only rows with a higher id (a
    worker passes its last claimed id, so the search does not walk past every row already
    sent; PostgreSQL's planner picks the primary key for ``ORDER BY id LIMIT n`` and filters
    the status, which costs more each batch as the campaign goes on). A claim ``after`` a
    position that finds nothing says nothing about the rows before it: ask again from 0.
    """
    batch_id = uuid.uuid4().hex
    with write_transaction(engine) as connection:
        claim, select_recipients = _CLAIM[not is_sqlite(connection)]
        claimed = connection.execute(
            claim,
            {
                "c_campaign": campaign_id,
                "c_after": after,
                "c_size": size,
                "c_batch": batch_id,
                "c_worker": worker_id,
                "c_lease": now + lease,
                "c_now": now,
            },
        ).rowcount
        if not claimed:
            return None
        rows = connection.execute(
            select_recipients, {"c_campaign": campaign_id, "c_batch": batch_id}
        ).all()
        recipients = tuple(map(Recipient._make, rows))  # columns in the fields' order
        suppressed = claimed - len(recipients)
        if suppressed:
            keep = [r.row_id for r in recipients]
            connection.execute(
                update(deliveries)
                .where(deliveries.c.batch_id == batch_id, deliveries.c.id.not_in(keep))
                .values(
                    status=DeliveryState.SUPPRESSED, note="suppressed at claim time", updated_at=now
                )
            )
    return Batch(batch_id, campaign_id, recipients, suppressed)


def _settle_statements() -> dict[bool, Any]:
    """Settling's two UPDATEs (to ``queued``, or to an outcome), built once."""
    claimed_rows = and_(
        deliveries.c.batch_id == bindparam("s_batch"), deliveries.c.status == DeliveryState.CLAIMED
    )
    common = {
        "status": bindparam("s_status", type_=deliveries.c.status.type),
        "updated_at": bindparam("s_now", type_=deliveries.c.updated_at.type),
        "note": bindparam("s_note", type_=deliveries.c.note.type),
        "lease_until": None,
    }
    release = update(deliveries).where(claimed_rows).values(**common, batch_id=None, worker_id=None)
    outcome = (
        update(deliveries)
        .where(claimed_rows)
        .values(**common, message_id=bindparam("s_message", type_=deliveries.c.message_id.type))
    )
    return {True: release, False: outcome}


_SETTLE = _settle_statements()


def settle_batch(
    engine: Engine,
    batch_id: str,
    status: str,
    *,
    now: datetime,
    message_id: str | None = None,
    note: str | None = None,
) -> None:
    """Record a batch's fate: accepted, unknown, failed, or ``queued`` (surely not sent)."""
    params = {
        "s_batch": batch_id,
        "s_status": status,
        "s_message": message_id,
        "s_note": note,
        "s_now": now,
    }
    with write_transaction(engine) as connection:
        connection.execute(_SETTLE[status == DeliveryState.QUEUED], params)


def expire_leases(
    engine: Engine,
    campaign_id: int,
    *,
    now: datetime,
    is_dead: Callable[[str], bool] = worker_is_dead,
) -> int:
    """Claimed batches whose lease ran out, or whose worker died here, become ``unknown``."""
    with write_transaction(engine) as connection:
        rows = connection.execute(
            select(
                deliveries.c.batch_id, deliveries.c.worker_id, func.min(deliveries.c.lease_until)
            )
            .where(
                deliveries.c.campaign_id == campaign_id,
                deliveries.c.status == DeliveryState.CLAIMED,
            )
            .group_by(deliveries.c.batch_id, deliveries.c.worker_id)
        ).all()
        stale = [
            batch
            for batch, worker, lease_until in rows
            if (lease_until is not None and lease_until < now) or is_dead(worker or "")
        ]
        if not stale:
            return 0
        note = "worker stopped (crash, kill or lost connection) before the outcome was recorded"
        result = connection.execute(
            update(deliveries)
            .where(deliveries.c.batch_id.in_(stale), deliveries.c.status == DeliveryState.CLAIMED)
            .values(status=DeliveryState.UNKNOWN, lease_until=None, note=note, updated_at=now)
        )
    return int(result.rowcount)


def queued_left(engine: Engine, campaign_id: int) -> bool:
    """Whether any delivery is still queued (locked rows included, unlike a claim)."""
    with read_connection(engine) as connection:
        found = connection.execute(
            select(deliveries.c.id)
            .where(
                deliveries.c.campaign_id == campaign_id, deliveries.c.status == DeliveryState.QUEUED
            )
            .limit(1)
        ).first()
    return found is not None


def delivery_counts(engine: Engine, campaign_id: int) -> dict[str, int]:
    """Deliveries per state (every state present, zero when none)."""
    with read_connection(engine) as connection:
        rows = connection.execute(
            select(deliveries.c.status, func.count())
            .where(deliveries.c.campaign_id == campaign_id)
            .group_by(deliveries.c.status)
        ).all()
    counts = {str(state): 0 for state in DeliveryState}
    counts.update({str(status): int(n) for status, n in rows})
    return counts


def unknown_batches(engine: Engine, campaign_id: int) -> list[dict[str, Any]]:
    """Batches with deliveries of unknown fate, oldest first: id, size (still unknown), worker."""
    since = func.min(deliveries.c.updated_at)
    with read_connection(engine) as connection:
        rows = connection.execute(
            select(
                deliveries.c.batch_id,
                func.count().label("size"),
                func.min(deliveries.c.worker_id).label("worker_id"),
                since.label("since"),
                func.min(deliveries.c.note).label("note"),
            )
            .where(
                deliveries.c.campaign_id == campaign_id,
                deliveries.c.status == DeliveryState.UNKNOWN,
            )
            .group_by(deliveries.c.batch_id)
            .order_by(since, deliveries.c.batch_id)
        ).all()
    return [
        {
            "batch": r.batch_id,
            "size": int(r.size),
            "worker": r.worker_id,
            "since": r.since.isoformat(),
            "note": r.note,
        }
        for r in rows
    ]


def finish_if_done(engine: Engine, campaign_id: int, *, now: datetime) -> bool:
    """Mark a sending campaign ``sent`` when nothing is queued or claimed any more."""
    with write_transaction(engine) as connection:
        open_rows = connection.execute(
            select(func.count()).where(
                deliveries.c.campaign_id == campaign_id,
                deliveries.c.status.in_(OPEN_DELIVERY_STATES),
            )
        ).scalar_one()
        if open_rows:
            return False
        result = connection.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id, campaigns.c.status == CampaignState.SENDING)
            .values(status=CampaignState.SENT, finished_at=now, updated_at=now, status_reason=None)
        )
    return bool(result.rowcount)


def resolve_unknown(engine: Engine, campaign_id: int, *, resend: bool, now: datetime) -> int:
    """A person decides the fate of ``unknown`` deliveries: queue them again or mark them sent."""
    status, note = (
        (DeliveryState.QUEUED, "queued again by a person")
        if resend
        else (DeliveryState.ACCEPTED, "marked sent by a person")
    )
    with write_transaction(engine) as connection:
        values: dict[str, Any] = {"status": status, "note": note, "updated_at": now}
        if resend:
            values.update(batch_id=None, worker_id=None)
        result = connection.execute(
            update(deliveries)
            .where(
                deliveries.c.campaign_id == campaign_id,
                deliveries.c.status == DeliveryState.UNKNOWN,
            )
            .values(**values)
        )
        if resend and result.rowcount:
            connection.execute(
                update(campaigns)
                .where(campaigns.c.id == campaign_id, campaigns.c.status == CampaignState.SENT)
                .values(status=CampaignState.SENDING, finished_at=None, updated_at=now)
            )
    return int(result.rowcount)


def settle_unknown_delivery(engine: Engine, ref: str, *, processed: bool, now: datetime) -> bool:
    """A SendGrid ``processed`` (accepted) or ``dropped`` event settles an unknown delivery."""
    parsed = parse_delivery_ref(ref)
    if parsed is None:
        return False
    campaign_id, row_id = parsed
    status = DeliveryState.ACCEPTED if processed else DeliveryState.FAILED
    note = "settled by SendGrid event: " + ("processed" if processed else "dropped")
    with write_transaction(engine) as connection:
        result = connection.execute(
            update(deliveries)
            .where(
                deliveries.c.id == row_id,
                deliveries.c.campaign_id == campaign_id,
                deliveries.c.status == DeliveryState.UNKNOWN,
            )
            .values(status=status, note=note, updated_at=now)
        )
    return bool(result.rowcount)
