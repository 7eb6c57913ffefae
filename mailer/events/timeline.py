"""When people acted on a campaign: clicks and opens per day over its first days.

One query of a scalar count per day and kind: each a range of the events' ``campaign_id,
kind, occurred_at`` index (migration 0009), counted from the index alone; several times faster
on a large campaign than one pass with a conditional sum per day, and portable between SQLite
and PostgreSQL. Day 1 starts when the campaign did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, func, select

from mailer.events.tables import events
from mailer.events.webhook import EventKind
from mailer.send.campaigns import Campaign
from subscribers.db import read_connection


@dataclass(frozen=True, slots=True)
class Day:
    number: int  # 1 = the first 24 hours after the campaign started
    clicks: int
    opens: int


def first_days(engine: Engine, campaign: Campaign, *, days: int = 7) -> tuple[Day, ...]:
    """Clicks and opens (events) in each of the campaign's first ``days`` days."""
    start = campaign.created_at
    columns = []
    for n in range(days):
        for kind in (EventKind.CLICK, EventKind.OPEN):
            count = select(func.count()).where(
                events.c.campaign_id == campaign.id,
                events.c.kind == kind.value,
                events.c.occurred_at >= start + timedelta(days=n),
                events.c.occurred_at < start + timedelta(days=n + 1),
            )
            columns.append(count.scalar_subquery())
    with read_connection(engine) as connection:
        row = connection.execute(select(*columns)).one()
    values = [int(v or 0) for v in row]
    return tuple(Day(n + 1, values[2 * n], values[2 * n + 1]) for n in range(days))
