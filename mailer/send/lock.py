"""A campaign-level lock guarding only start, snapshot and finish.

PostgreSQL: a session advisory lock held on a dedicated connection (released when that
connection closes, so a killed worker never leaves it behind). SQLite: a lock row with a lease
(``campaigns.lock_owner`` / ``lock_until``); a holder that died stops blocking when the lease
runs out. Sending itself needs no lock: batches are claimed row by row.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, text, update

from mailer.errors import CampaignError
from mailer.send.tables import campaigns
from subscribers.db import is_sqlite, write_transaction

LOCK_CLASS = 0x4E4C  # "NL": the advisory-lock namespace for campaigns


@contextlib.contextmanager
def campaign_lock(
    engine: Engine,
    campaign_id: int,
    *,
    owner: str,
    clock: Callable[[], datetime],
    lease: timedelta = timedelta(minutes=2),
    wait: float = 30.0,
    poll: float = 0.05,
) -> Iterator[None]:
    """Hold the campaign's lock for the duration of the block, waiting up to ``wait`` s."""
    deadline = time.monotonic() + wait
    if is_sqlite(engine):
        while not _take_row_lock(engine, campaign_id, owner, clock(), lease):
            if time.monotonic() > deadline:
                raise CampaignError(f"campaign {campaign_id} is locked by another worker")
            time.sleep(poll)
        try:
            yield
        finally:
            with write_transaction(engine) as connection:
                connection.execute(
                    update(campaigns)
                    .where(campaigns.c.id == campaign_id, campaigns.c.lock_owner == owner)
                    .values(lock_owner=None, lock_until=None)
                )
        return
    with engine.connect() as connection:
        while not connection.execute(
            text("SELECT pg_try_advisory_lock(:k, :c)"), {"k": LOCK_CLASS, "c": campaign_id}
        ).scalar_one():
            connection.rollback()
            if time.monotonic() > deadline:
                raise CampaignError(f"campaign {campaign_id} is locked by another worker")
            time.sleep(poll)
        connection.commit()
        try:
            yield
        finally:
            connection.execute(
                text("SELECT pg_advisory_unlock(:k, :c)"), {"k": LOCK_CLASS, "c": campaign_id}
            )
            connection.commit()


def _take_row_lock(
    engine: Engine, campaign_id: int, owner: str, now: datetime, lease: timedelta
) -> bool:
    with write_transaction(engine) as connection:
        result = connection.execute(
            update(campaigns)
            .where(
                campaigns.c.id == campaign_id,
                or_(campaigns.c.lock_owner.is_(None), campaigns.c.lock_until < now),
            )
            .values(lock_owner=owner, lock_until=now + lease)
        )
    return bool(result.rowcount)
