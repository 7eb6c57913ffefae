"""CSV export and counts.

Exported cells are safe to open in a spreadsheet: a cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is prefixed with ``'`` so it is never read as a formula.
Rows stream by keyset pagination; forgotten subscribers have no address and are never exported.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from sqlalchemy import Engine, func, select

from subscribers.db import read_connection
from subscribers.models import subscriber_interests, subscribers, subscriptions

EXPORT_COLUMNS = ("email", "first_name", "last_name", "status", "lists", "interests", "created_at")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Neutralise a cell a spreadsheet would evaluate as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def iter_export_rows(
    engine: Engine,
    *,
    list_id: str | None = None,
    status: str | None = None,
    page_size: int = 2000,
) -> Iterator[tuple[str, ...]]:
    """Rows of EXPORT_COLUMNS, raw (not yet neutralised), in subscriber id order."""
    query = select(
        subscribers.c.id,
        subscribers.c.email,
        subscribers.c.first_name,
        subscribers.c.last_name,
        subscribers.c.status,
        subscribers.c.created_at,
    ).where(subscribers.c.email.is_not(None))
    if list_id:
        query = query.join(subscriptions, subscriptions.c.subscriber_id == subscribers.c.id).where(
            subscriptions.c.list_id == list_id
        )
    if status:
        query = query.where(subscribers.c.status == status)
    after = 0
    while True:
        with read_connection(engine) as connection:
            page = connection.execute(
                query.where(subscribers.c.id > after).order_by(subscribers.c.id).limit(page_size)
            ).all()
            ids = [row.id for row in page]
            lists = _grouped(
                connection.execute(
                    select(subscriptions.c.subscriber_id, subscriptions.c.list_id).where(
                        subscriptions.c.subscriber_id.in_(ids), subscriptions.c.status == "active"
                    )
                )
            )
            interests = _grouped(
                connection.execute(
                    select(
                        subscriber_interests.c.subscriber_id, subscriber_interests.c.interest_id
                    ).where(subscriber_interests.c.subscriber_id.in_(ids))
                )
            )
        for row in page:
            yield (
                row.email,
                row.first_name or "",
                row.last_name or "",
                row.status,
                ";".join(sorted(lists.get(row.id, ()))),
                ";".join(sorted(interests.get(row.id, ()))),
                row.created_at.isoformat(timespec="seconds"),
            )
        if len(page) < page_size:
            return
        after = ids[-1]


def _grouped(rows: Any) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for key, value in rows:
        grouped.setdefault(key, []).append(value)
    return grouped


def export_csv(
    engine: Engine,
    out: TextIO,
    *,
    list_id: str | None = None,
    status: str | None = None,
) -> int:
    """Write a spreadsheet-safe CSV to ``out``; returns the number of subscribers written."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in iter_export_rows(engine, list_id=list_id, status=status):
        writer.writerow([safe_cell(value) for value in row])
        count += 1
    return count


@dataclass(frozen=True, slots=True)
class Stats:
    by_status: dict[str, int]  # subscriber status -> count
    by_list: dict[str, dict[str, int]]  # list id -> subscription status -> count

    def as_dict(self) -> dict[str, object]:
        return {"by_status": self.by_status, "by_list": self.by_list}


def count_subscribers(engine: Engine) -> Stats:
    """Counts per subscriber status, and per list and subscription status."""
    with read_connection(engine) as connection:
        by_status: dict[str, int] = dict(
            connection.execute(
                select(subscribers.c.status, func.count()).group_by(subscribers.c.status)
            ).all()
        )
        by_list: dict[str, dict[str, int]] = {}
        for list_id, status, count in connection.execute(
            select(subscriptions.c.list_id, subscriptions.c.status, func.count()).group_by(
                subscriptions.c.list_id, subscriptions.c.status
            )
        ):
            by_list.setdefault(list_id, {})[status] = count
    return Stats({k: int(v) for k, v in sorted(by_status.items())}, dict(sorted(by_list.items())))
