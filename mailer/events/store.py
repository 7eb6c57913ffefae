"""Recording SendGrid events: idempotent by ``sg_event_id``, a few statements per batch.

:func:`record_events` takes the frozen :class:`mailer.events.webhook.Event` values of one webhook
request and, in one write transaction:

1. resolves what the events point at, with one query each: the campaigns named by the
   ``campaign_id`` custom arg, the delivery rows named by ``delivery_id`` (``c<campaign>-d<row>``)
   and, for events without a usable delivery, the subscribers with that address;
2. inserts every event with ``INSERT … ON CONFLICT (sg_event_id) DO NOTHING RETURNING``, so
   only the events not seen before come back, and only those have effects: a batch SendGrid
   replays (it retries for 24 hours) changes nothing;
3. applies the new events' effects in bulk (the table in :mod:`mailer.events.webhook`): hard bounces
   and dropped-as-bounced mark the subscriber ``bounced``, spam reports ``complained`` (both
   suppress), unsubscribes leave the list the email came from (the ``list_id`` custom arg, else
   the campaign's list, else every list); ``processed`` / ``dropped`` settle a delivery the
   ledger holds as ``unknown`` (and never touch one in any other state). Each change is in the
   audit log, under ``who``.

Then :func:`check_campaigns` looks at each campaign that got a new bounce or complaint and
pauses it (``auto_resume`` False, so scheduled runs leave it alone) when the complaint rate or
the hard-bounce rate is over :class:`PauseRules`' limits. A campaign already ``sent`` cannot be
paused; the alert is written as its status reason instead (unless a person gave one).

No email address is stored: see :mod:`mailer.events.tables`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, text

from mailer.events.alerts import PauseRules, check_campaigns
from mailer.events.effects import apply_effects
from mailer.events.tables import events as events_table
from mailer.events.webhook import Effect, Event
from mailer.send.campaigns import parse_delivery_ref
from mailer.send.tables import campaigns, deliveries
from subscribers.bulk import chunked
from subscribers.db import is_sqlite, write_transaction
from subscribers.errors import InvalidAddress
from subscribers.records import ids_by_email_key, normalise_email

WHO = "sendgrid webhook"


@dataclass(frozen=True, slots=True)
class RecordSummary:
    received: int  # events in the batch
    recorded: int  # new events stored (the rest were seen before)
    bounced: int = 0  # subscribers newly marked bounced
    complained: int = 0  # subscribers newly marked complained
    unsubscribed: int = 0  # subscribers who left a list (or all)
    settled: int = 0  # unknown deliveries settled
    ignored: int = 0  # new events of a type the project does not know (stored only)
    paused: tuple[str, ...] = ()  # issue ids paused (or alerted) because of this batch

    @property
    def duplicates(self) -> int:
        return self.received - self.recorded


@dataclass
class _Context:
    """What the events of a batch point at, resolved with one query per table."""

    campaign_lists: dict[int, str] = field(default_factory=dict)  # campaign id -> list id
    delivery_rows: dict[int, tuple[int, int | None]] = field(default_factory=dict)
    by_key: dict[str, int] = field(default_factory=dict)  # email key -> subscriber id


def record_events(
    engine: Engine,
    events: Sequence[Event],
    *,
    now: datetime,
    who: str = WHO,
    rules: PauseRules = PauseRules(),
) -> RecordSummary:
    """Store ``events`` once each and apply the effects of those not seen before."""
    if now.tzinfo is None:
        raise ValueError("record_events needs an aware datetime for now")
    unique: dict[str, Event] = {}
    for event in events:
        unique.setdefault(event.sg_event_id[:100], event)
    if not unique:
        return RecordSummary(received=len(events), recorded=0)
    ordered = sorted(unique.items())  # one lock order for concurrent batches (PostgreSQL)
    with write_transaction(engine) as connection:
        context = _resolve(connection, [event for _, event in ordered])
        rows = [_row(key, event, context, now) for key, event in ordered]
        new_ids = _insert_new(connection, rows)
        fresh = [
            (event, row) for (key, event), row in zip(ordered, rows, strict=True) if key in new_ids
        ]
        counts = apply_effects(connection, fresh, context.campaign_lists, who=who, now=now)
    worrying = {
        row["campaign_id"]
        for event, row in fresh
        if row["campaign_id"] is not None and event.suppresses
    }
    paused = check_campaigns(engine, worrying, rules=rules, now=now) if worrying else ()
    return RecordSummary(
        received=len(events),
        recorded=len(fresh),
        ignored=sum(1 for event, _ in fresh if event.effect is Effect.IGNORED),
        paused=paused,
        **counts,
    )


class DatabaseRecorder:
    """The webhook's recorder (:class:`mailer.web.webhook.EventRecorder`) for one database."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rules: PauseRules = PauseRules(),
        who: str = WHO,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.rules = rules
        self.who = who

    def __call__(self, events: Sequence[Event]) -> None:
        record_events(self.engine, events, now=self.clock(), who=self.who, rules=self.rules)


# --- resolving --------------------------------------------------------------------------------


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isascii() and text.isdigit() else None


def _resolve(connection: Connection, batch: Sequence[Event]) -> _Context:
    context = _Context()
    refs = [parse_delivery_ref(e.delivery_id) for e in batch if e.delivery_id]
    for chunk in chunked(ref[1] for ref in refs if ref):
        rows = connection.execute(
            select(deliveries.c.id, deliveries.c.campaign_id, deliveries.c.subscriber_id).where(
                deliveries.c.id.in_(chunk)
            )
        ).all()
        context.delivery_rows.update({r.id: (r.campaign_id, r.subscriber_id) for r in rows})
    wanted = {_int(e.campaign_id) for e in batch} | {c for c, _ in context.delivery_rows.values()}
    for chunk in chunked(c for c in wanted if c is not None):
        found = connection.execute(
            select(campaigns.c.id, campaigns.c.list_id).where(campaigns.c.id.in_(chunk))
        ).all()
        context.campaign_lists.update({r.id: r.list_id for r in found})
    keys = {_email_key(e.email) for e in batch if _delivery(e, context) is None}
    context.by_key = ids_by_email_key(connection, (k for k in keys if k))
    return context


def _email_key(address: str) -> str | None:
    try:
        return normalise_email(address)[1]
    except InvalidAddress:
        return None


def _delivery(event: Event, context: _Context) -> tuple[int, int, int | None] | None:
    """(row id, campaign id, subscriber id) of the event's delivery, when the ledger has it."""
    ref = parse_delivery_ref(event.delivery_id) if event.delivery_id else None
    if ref is None:
        return None
    campaign_id, row_id = ref
    found = context.delivery_rows.get(row_id)
    if found is None or found[0] != campaign_id:
        return None
    return row_id, campaign_id, found[1]


_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")
_TOKEN_PATH = re.compile(r"(/(?:u|p|confirm)/)[^/?#]+")


def redact_reason(text: str | None) -> str | None:
    """A bounce reason without the addresses mail servers like to quote back."""
    return _ADDRESS.sub("<address>", text)[:2000] if text else None


def redact_url(url: str | None) -> str | None:
    """A clicked link without a per-recipient token (unsubscribe, preferences, confirm)."""
    return _TOKEN_PATH.sub(r"\1<token>", url)[:4000] if url else None


def _row(key: str, event: Event, context: _Context, now: datetime) -> dict[str, Any]:
    delivery = _delivery(event, context)
    campaign_id = _int(event.campaign_id)
    if campaign_id not in context.campaign_lists:
        campaign_id = delivery[1] if delivery else None
    subscriber_id = delivery[2] if delivery else None
    if subscriber_id is None and delivery is None:
        subscriber_id = context.by_key.get(_email_key(event.email) or "")
    return {
        "sg_event_id": key,
        "kind": event.kind.value,
        "event_type": event.event_type[:40],
        "effect": event.effect.value,
        "campaign_id": campaign_id,
        "delivery_ref": event.delivery_id[:64] if event.delivery_id else None,
        "subscriber_id": subscriber_id,
        "list_id": event.list_id[:64] if event.list_id else None,
        "sg_message_id": event.sg_message_id[:160] if event.sg_message_id else None,
        "url": redact_url(event.url),
        "bounce_type": event.bounce_type[:32] if event.bounce_type else None,
        "reason": redact_reason(event.reason),
        "bounce_classification": (
            event.bounce_classification[:64] if event.bounce_classification else None
        ),
        "machine_open": event.machine_open,
        "occurred_at": event.timestamp,
        "received_at": now,
        # not columns: what the effects need
        "_delivery_row": delivery[0] if delivery else None,
    }


def _insert_new(connection: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the rows not stored yet; the ``sg_event_id`` of those inserted."""
    values = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]
    if not is_sqlite(connection):
        return _insert_new_postgresql(connection, values)
    from sqlalchemy.dialects import sqlite

    statement = (
        sqlite.insert(events_table)
        .on_conflict_do_nothing(index_elements=["sg_event_id"])
        .returning(events_table.c.sg_event_id)
    )
    return set(connection.execute(statement, values).scalars())


_PG_ARRAYS = {
    "campaign_id": "integer[]",
    "subscriber_id": "integer[]",
    "occurred_at": "timestamptz[]",
    "received_at": "timestamptz[]",
    "machine_open": "boolean[]",
}


def _insert_new_postgresql(connection: Connection, values: list[dict[str, Any]]) -> set[str]:
    """One ``INSERT … SELECT FROM unnest(arrays)``: a short statement with one array per
    column, instead of a multi-row VALUES list that the driver must parse for every batch."""
    names = [column.name for column in events_table.columns if column.name != "id"]
    arrays = ", ".join(f"CAST(:{name} AS {_PG_ARRAYS.get(name, 'text[]')})" for name in names)
    statement = text(
        f"INSERT INTO events ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
        "ON CONFLICT (sg_event_id) DO NOTHING RETURNING sg_event_id"
    )
    params = {name: [row[name] for row in values] for name in names}
    return set(connection.execute(statement, params).scalars())
