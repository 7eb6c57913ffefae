"""The push queue: addresses held only until they are pushed to the mail service's suppressions.

Forgetting a person blanks their address (:func:`subscribers.privacy.forget`), so a later sync
cannot tell SendGrid to stop mailing it. When the caller asks for it (SendGrid is the
transport), ``forget`` queues the address here in the same transaction; the next suppression
sync pushes the queue to SendGrid and deletes each row it pushed. Nothing else reads the queue,
and the erasure itself (the keyed hash) does not depend on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Column, Connection, Integer, String, Table, delete, insert, select

from subscribers.bulk import chunked
from subscribers.models import UtcDateTime, metadata

__all__ = ["push_queue", "queue_push", "queued_pushes", "remove_pushed"]

FORGOTTEN_REASON = "forgotten"

push_queue = Table(
    "suppression_push_queue",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("queued_at", UtcDateTime, nullable=False),
)


def queue_push(
    connection: Connection, email: str, *, now: datetime, reason: str = FORGOTTEN_REASON
) -> None:
    """Hold ``email`` until the next sync pushes it (inside the caller's transaction)."""
    connection.execute(insert(push_queue).values(email=email, reason=reason, queued_at=now))


def queued_pushes(connection: Connection, limit: int) -> list[tuple[int, str, str]]:
    """Up to ``limit`` queued (id, email, reason), oldest first."""
    rows = connection.execute(
        select(push_queue.c.id, push_queue.c.email, push_queue.c.reason)
        .order_by(push_queue.c.id)
        .limit(limit)
    ).all()
    return [(row.id, row.email, row.reason) for row in rows]


def remove_pushed(connection: Connection, ids: Iterable[int]) -> int:
    """Delete queued rows once pushed; how many went."""
    removed = 0
    for chunk in chunked(ids):
        removed += connection.execute(delete(push_queue).where(push_queue.c.id.in_(chunk))).rowcount
    return removed
