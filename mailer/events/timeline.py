"""When people acted on a campaign: clicks and opens per day over its first days.

One grouped query with a conditional count per day (portable between SQLite and PostgreSQL,
and served by the events' ``campaign_id, kind`` index); day 1 starts when the campaign did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, and_, case, func, select

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
        inside = and_(
            events.c.occurred_at >= start + timedelta(days=n),
            events.c.occurred_at < start + timedelta(days=n + 1),
        )
        for kind in (EventKind.CLICK, EventKind.OPEN):
            columns.append(func.sum(case((and_(inside, events.c.kind == kind.value), 1), else_=0)))
    with read_connection(engine) as connection:
        row = connection.execute(
            select(*columns).where(
                events.c.campaign_id == campaign.id,
                events.c.kind.in_((EventKind.CLICK.value, EventKind.OPEN.value)),
            )
        ).one()
    values = [int(v or 0) for v in row]
    return tuple(Day(n + 1, values[2 * n], values[2 * n + 1]) for n in range(days))
