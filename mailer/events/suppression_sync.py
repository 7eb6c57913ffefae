"""Keeping SendGrid's suppression lists and ours in step, both ways.

**Pull.** For each SendGrid list (:data:`PULLED`), the entries created since the list's
watermark are read page by page (``start_time`` = the watermark, ``end_time`` fixed when the
run starts, ``limit``, ``offset``) and applied as the matching webhook event would be
(:func:`mailer.events.webhook.classify` decides, :mod:`subscribers.suppression` applies):

================  ================================  =================================
SendGrid list     the matching event                effect here
================  ================================  =================================
bounces           ``bounce`` of type ``bounce``     BOUNCED (suppresses every list)
blocks            ``bounce`` of type ``blocked``    none: counted only
spam_reports      ``spamreport``                    COMPLAINED (suppresses every list)
invalid_emails    a hard ``bounce`` ("Invalid       BOUNCED
                  Address": it can never receive)
unsubscribes      ``unsubscribe`` (global)          UNSUBSCRIBED from every list
================  ================================  =================================

Each page is applied, and the list's progress (``run_offset``) recorded, in one transaction;
when the last page is in, the watermark moves to the run's ``end_time``. A run killed mid-way
resumes with the same ``end_time`` at the first page not recorded, so nothing is skipped;
applying an entry twice changes nothing (the rules leave a subscriber already in the state
alone). ``start_time`` is inclusive, so entries at the watermark's second are read again.

**Push.** Subscribers who unsubscribed from everything or complained, not yet pushed to the
target since they did (``suppression_pushes``), and the queue of forgotten addresses
(:mod:`subscribers.pushqueue`), go to SendGrid's global suppressions, or to the configured
unsubscribe group, in batches; each batch is recorded (or its queue rows deleted) only after
SendGrid took it. A subscriber who left one list but stays on another is not pushed: SendGrid's
suppression would stop every list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Select, and_, delete, func, insert, or_, select, update

from mailer.events.sync_tables import pushes, watermarks
from mailer.events.webhook import Effect, EventKind, classify
from mailer.transports.sendgrid_admin import SuppressionEntry
from subscribers.db import read_connection, write_transaction
from subscribers.errors import InvalidAddress
from subscribers.models import COMPLAINED, UNSUBSCRIBED, subscribers
from subscribers.pushqueue import push_queue, queued_pushes, remove_pushed
from subscribers.records import ids_by_email_key, normalise_email
from subscribers.suppression import mark_bounced_many, mark_complained_many, unsubscribe_many

WHO = "sendgrid suppression sync"
PAGE_SIZE = 500
PUSH_BATCH = 1000

#: Each SendGrid list, as the webhook event it stands for (kind, bounce type).
PULLED: dict[str, tuple[EventKind, str | None]] = {
    "bounces": (EventKind.BOUNCE, "bounce"),
    "blocks": (EventKind.BOUNCE, "blocked"),
    "spam_reports": (EventKind.SPAMREPORT, None),
    "invalid_emails": (EventKind.BOUNCE, "bounce"),
    "unsubscribes": (EventKind.UNSUBSCRIBE, None),
}


class SuppressionApi(Protocol):
    """What the sync needs of SendGrid (:class:`mailer.transports.sendgrid_admin.SendGridAdmin`)."""

    requests: int

    def list_page(
        self, list_type: str, *, start_time: int, end_time: int, limit: int, offset: int
    ) -> list[SuppressionEntry]: ...

    def suppress(self, emails: Sequence[str], group_id: int | None = None) -> None: ...


@dataclass
class SyncReport:
    """Counts both ways; with ``dry_run`` what a real run would do."""

    dry_run: bool
    target: str
    pulled: dict[str, int] = field(default_factory=dict)  # entries read, per list
    changed: dict[str, int] = field(default_factory=dict)  # subscribers changed, per list
    pushed: dict[str, int] = field(default_factory=dict)  # addresses pushed, per reason
    requests: int = 0

    @property
    def did_something(self) -> bool:
        return any(self.changed.values()) or any(self.pushed.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "target": self.target,
            "pulled": self.pulled,
            "changed": self.changed,
            "pushed": self.pushed,
            "requests": self.requests,
        }


def push_target(group_id: int | None) -> str:
    return "global" if group_id is None else f"group:{group_id}"


def sync_suppressions(
    engine: Engine,
    api: SuppressionApi,
    *,
    now: datetime,
    group_id: int | None = None,
    dry_run: bool = False,
    page_size: int = PAGE_SIZE,
    push_batch: int = PUSH_BATCH,
) -> SyncReport:
    """Pull every list, then push; see the module docstring."""
    report = SyncReport(dry_run=dry_run, target=push_target(group_id))
    for list_type in PULLED:
        read, changed = _pull(engine, api, list_type, now, dry_run=dry_run, page_size=page_size)
        report.pulled[list_type] = read
        report.changed[list_type] = changed
    report.pushed = _push(engine, api, group_id, now, dry_run=dry_run, batch=push_batch)
    report.requests = api.requests
    return report


# -- pull ---------------------------------------------------------------------------------------


def _progress(engine: Engine, list_type: str) -> tuple[int, int | None, int]:
    with read_connection(engine) as connection:
        row = connection.execute(
            select(watermarks).where(watermarks.c.list_type == list_type)
        ).first()
    if row is None:
        return 0, None, 0
    return int(row.watermark), row.run_end, int(row.run_offset)


def _pull(
    engine: Engine,
    api: SuppressionApi,
    list_type: str,
    now: datetime,
    *,
    dry_run: bool,
    page_size: int,
) -> tuple[int, int]:
    start, run_end, offset = _progress(engine, list_type)
    end = run_end if run_end is not None else int(now.timestamp())
    read = changed = 0
    while True:
        page = api.list_page(
            list_type, start_time=start, end_time=end, limit=page_size, offset=offset
        )
        last = len(page) < page_size
        read += len(page)
        if dry_run:
            with read_connection(engine) as connection:
                changed += len(_matching(connection, page))
        else:
            with write_transaction(engine) as connection:
                changed += _apply(connection, list_type, page, now)
                _record(connection, list_type, start, end, offset + len(page), now, done=last)
        if last:
            return read, changed
        offset += len(page)


def _matching(connection: Connection, page: Sequence[SuppressionEntry]) -> set[int]:
    keys = set()
    for entry in page:
        try:
            keys.add(normalise_email(entry.email)[1])
        except InvalidAddress:
            continue  # an address we could never have held
    return set(ids_by_email_key(connection, keys).values())


def _apply(
    connection: Connection, list_type: str, page: Sequence[SuppressionEntry], now: datetime
) -> int:
    """Apply one page as the matching webhook events would; subscribers changed."""
    kind, bounce_type = PULLED[list_type]
    effect = classify(kind, bounce_type, None)
    ids = _matching(connection, page)
    if not ids or effect not in (Effect.BOUNCED, Effect.COMPLAINED, Effect.UNSUBSCRIBED):
        return 0
    detail = f"SendGrid {list_type} list"
    if effect is Effect.BOUNCED:
        return len(mark_bounced_many(connection, ids, who=WHO, now=now, detail=detail))
    if effect is Effect.COMPLAINED:
        return len(mark_complained_many(connection, ids, who=WHO, now=now, detail=detail))
    return len(unsubscribe_many(connection, ids, None, who=WHO, now=now, source="sendgrid"))


def _record(
    connection: Connection,
    list_type: str,
    start: int,
    end: int,
    offset: int,
    now: datetime,
    *,
    done: bool,
) -> None:
    values = (
        {"watermark": end, "run_end": None, "run_offset": 0, "updated_at": now}
        if done
        else {"watermark": start, "run_end": end, "run_offset": offset, "updated_at": now}
    )
    updated = connection.execute(
        update(watermarks).where(watermarks.c.list_type == list_type).values(**values)
    ).rowcount
    if not updated:
        connection.execute(insert(watermarks).values(list_type=list_type, **values))


# -- push ---------------------------------------------------------------------------------------


def _due_query(target: str) -> Select[Any]:
    """Subscribers to push: unsubscribed from everything or complained, with an address, and
    not pushed to ``target`` since."""
    since = func.coalesce(subscribers.c.complained_at, subscribers.c.unsubscribed_at)
    joined = subscribers.outerjoin(
        pushes, and_(pushes.c.subscriber_id == subscribers.c.id, pushes.c.target == target)
    )
    return (
        select(subscribers.c.id, subscribers.c.email, subscribers.c.status)
        .select_from(joined)
        .where(
            subscribers.c.status.in_((UNSUBSCRIBED, COMPLAINED)),
            subscribers.c.email.is_not(None),
            or_(pushes.c.pushed_at.is_(None), pushes.c.pushed_at < since),
        )
        .order_by(subscribers.c.id)
    )


def _push(
    engine: Engine,
    api: SuppressionApi,
    group_id: int | None,
    now: datetime,
    *,
    dry_run: bool,
    batch: int,
) -> dict[str, int]:
    target = push_target(group_id)
    counts = {UNSUBSCRIBED: 0, COMPLAINED: 0, "forgotten": 0}
    if dry_run:
        with read_connection(engine) as connection:
            for row in connection.execute(_due_query(target)):
                counts[row.status] += 1
            by_reason = connection.execute(
                select(push_queue.c.reason, func.count()).group_by(push_queue.c.reason)
            ).all()
            counts.update({str(reason): int(n) for reason, n in by_reason})
        return counts
    while True:
        with read_connection(engine) as connection:
            rows = connection.execute(_due_query(target).limit(batch)).all()
        if not rows:
            break
        api.suppress([row.email for row in rows], group_id)
        with write_transaction(engine) as connection:
            ids = [row.id for row in rows]
            connection.execute(
                delete(pushes).where(pushes.c.subscriber_id.in_(ids), pushes.c.target == target)
            )
            connection.execute(
                insert(pushes),
                [
                    {"subscriber_id": r.id, "target": target, "reason": r.status, "pushed_at": now}
                    for r in rows
                ],
            )
        for row in rows:
            counts[row.status] += 1
    while True:
        with read_connection(engine) as connection:
            queued = queued_pushes(connection, batch)
        if not queued:
            break
        api.suppress([email for _id, email, _reason in queued], group_id)
        with write_transaction(engine) as connection:
            remove_pushed(connection, [item[0] for item in queued])
        for _id, _email, reason in queued:
            counts[reason] = counts.get(reason, 0) + 1
    return counts
