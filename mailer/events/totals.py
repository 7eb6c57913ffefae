"""Running totals of campaigns kept by PostgreSQL's own triggers (migration 0010).

Statement-level triggers on ``deliveries`` and ``events`` keep deliveries per state, events per
(kind, effect, machine open) and distinct people who opened or clicked, so a report of a
campaign still sending need not count a million rows. SQLite has no such tables:
:func:`has_totals` says where they exist, and :mod:`mailer.events.report` counts elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    select,
)

from mailer.events.webhook import EventKind
from mailer.send.states import DeliveryState

#: Apart from the project's metadata: the tables exist on PostgreSQL only.
totals_metadata = MetaData()

delivery_totals = Table(
    "campaign_delivery_totals",
    totals_metadata,
    Column("campaign_id", Integer, primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("n", BigInteger, nullable=False),
)
event_totals = Table(
    "campaign_event_totals",
    totals_metadata,
    Column("campaign_id", Integer, primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("effect", String(12), primary_key=True),
    Column("machine_open", Boolean, primary_key=True),
    Column("n", BigInteger, nullable=False),
)
people_totals = Table(
    "campaign_people_totals",
    totals_metadata,
    Column("campaign_id", Integer, primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("n", BigInteger, nullable=False),
)

#: (kind, effect, machine_open, count): the shape of one row of events counted together.
EventRow = tuple[str, str, bool, int]


@dataclass(frozen=True, slots=True)
class Totals:
    ledger: dict[str, int]  # deliveries per state, every state present
    events: tuple[EventRow, ...]
    opened: int  # distinct people, machine opens aside
    clicked: int


def has_totals(engine: Engine) -> bool:
    """Whether the database keeps running totals (PostgreSQL, migration 0010)."""
    return engine.dialect.name == "postgresql"


def read_totals(connection: Connection, campaign_id: int) -> Totals:
    """The totals of one campaign: three primary-key lookups."""
    ledger = {str(state): 0 for state in DeliveryState}
    for status, n in connection.execute(
        select(delivery_totals.c.status, delivery_totals.c.n).where(
            delivery_totals.c.campaign_id == campaign_id
        )
    ):
        ledger[str(status)] = int(n)
    rows = connection.execute(
        select(
            event_totals.c.kind,
            event_totals.c.effect,
            event_totals.c.machine_open,
            event_totals.c.n,
        ).where(event_totals.c.campaign_id == campaign_id, event_totals.c.n != 0)
    ).all()
    people = dict(
        connection.execute(
            select(people_totals.c.kind, people_totals.c.n).where(
                people_totals.c.campaign_id == campaign_id
            )
        ).all()
    )
    return Totals(
        ledger=ledger,
        events=tuple((str(k), str(e), bool(m), int(n)) for k, e, m, n in rows),
        opened=int(people.get(EventKind.OPEN.value, 0)),
        clicked=int(people.get(EventKind.CLICK.value, 0)),
    )
