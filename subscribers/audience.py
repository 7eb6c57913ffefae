"""The audience of a send: who gets an email from a list, streamed in a stable order.

Active subscribers with an active subscription to the list, never suppressed ones. With
``interests``, only subscribers whose interests overlap them, or who chose none (a subscriber
with no interests gets everything on the list). With ``bases`` (a consent-only list passes
``("consent",)``), only subscriptions on one of those lawful bases. Pages are read by keyset
pagination on the subscriber id, each in its own short transaction, so memory stays flat
however long the list and no read lock is held between pages.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any, NamedTuple

from sqlalchemy import Engine, exists, func, or_, select

from subscribers.bulk import chunked, member_of
from subscribers.db import read_connection
from subscribers.models import ACTIVE, subscriber_interests, subscribers, subscriptions


class Recipient(NamedTuple):
    id: int
    public_id: str
    email: str
    first_name: str | None


def _conditions(
    list_id: str, interests: Collection[str] | None, bases: Collection[str] | None = None
) -> list[Any]:
    conditions: list[Any] = [
        subscriptions.c.list_id == list_id,
        subscriptions.c.status == ACTIVE,
        subscribers.c.status == ACTIVE,
    ]
    if bases is not None:
        conditions.append(subscriptions.c.basis.in_(sorted(bases)))
    if interests:
        mine = subscriber_interests.c.subscriber_id == subscribers.c.id
        conditions.append(
            or_(
                ~exists().where(mine),
                exists().where(mine, subscriber_interests.c.interest_id.in_(sorted(interests))),
            )
        )
    return conditions


def _joined() -> Any:
    return subscribers.join(subscriptions, subscriptions.c.subscriber_id == subscribers.c.id)


def iter_audience(
    engine: Engine,
    list_id: str,
    interests: Collection[str] | None = None,
    *,
    bases: Collection[str] | None = None,
    page_size: int = 5000,
) -> Iterator[Recipient]:
    """Recipients in ascending id order, ``page_size`` rows per query."""
    conditions = _conditions(list_id, interests, bases)
    columns = (
        subscribers.c.id,
        subscribers.c.public_id,
        subscribers.c.email,
        subscribers.c.first_name,
    )
    after = 0
    while True:
        query = (
            select(*columns)
            .select_from(_joined())
            # keyset on the subscription's column so the (list, status, subscriber) index
            # yields rows in order: no sort of the remaining audience per page
            # (the same bound on subscribers.id keeps PostgreSQL's merge join from rescanning)
            .where(*conditions, subscriptions.c.subscriber_id > after, subscribers.c.id > after)
            .order_by(subscriptions.c.subscriber_id)
            .limit(page_size)
        )
        with read_connection(engine) as connection:
            page = [Recipient(*row) for row in connection.execute(query)]
        yield from page
        if len(page) < page_size:
            return
        after = page[-1].id


def count_audience(
    engine: Engine,
    list_id: str,
    interests: Collection[str] | None = None,
    *,
    bases: Collection[str] | None = None,
) -> int:
    """How many recipients :func:`iter_audience` would yield now."""
    query = (
        select(func.count()).select_from(_joined()).where(*_conditions(list_id, interests, bases))
    )
    with read_connection(engine) as connection:
        return int(connection.execute(query).scalar_one())


def active_ids_for(engine: Engine, subscriber_ids: Collection[int], list_id: str) -> set[int]:
    """The subset of ``subscriber_ids`` that may be sent mail from ``list_id`` right now."""
    found: set[int] = set()
    with read_connection(engine) as connection:
        for chunk in chunked(subscriber_ids):
            query = (
                select(subscribers.c.id)
                .select_from(_joined())
                .where(*_conditions(list_id, None), member_of(connection, subscribers.c.id, chunk))
            )
            found.update(connection.execute(query).scalars())
    return found


def audience_ids(
    list_id: str,
    interests: Collection[str] | None = None,
    *,
    bases: Collection[str] | None = None,
) -> Any:
    """The audience's subscriber ids as a subquery (column ``id``), for ``INSERT … SELECT``.

    The sending ledger snapshots an audience with it in one statement, without streaming
    rows through Python.
    """
    return (
        select(subscribers.c.id)
        .select_from(_joined())
        .where(*_conditions(list_id, interests, bases))
        .subquery("audience")
    )
