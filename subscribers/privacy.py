"""Data-protection duties: erasure (forget), subject access (export_data), purging stale data.

Forgetting keeps the subscriber row (the sending ledger may point at it) but blanks every
personal field, deletes subscriptions, interests and consent records, and stores an HMAC of the
address (:class:`subscribers.keys.AddressHasher`) so it is never imported again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from subscribers.audit import list_entries, record_action
from subscribers.db import read_connection, write_transaction
from subscribers.errors import UnknownSubscriber
from subscribers.keys import AddressHasher
from subscribers.models import (
    FORGOTTEN,
    PENDING,
    consents,
    erasures,
    subscriber_interests,
    subscribers,
    subscriptions,
)
from subscribers.pushqueue import queue_push
from subscribers.records import (
    basis_of,
    is_erased,
    new_public_id,
    normalise_email,
    require_subscriber,
)


def forget(
    engine: Engine,
    email: str,
    *,
    hasher: AddressHasher,
    who: str,
    now: datetime | None = None,
    push: bool = False,
) -> bool:
    """Erase everything personal about ``email``; True when a subscriber was erased.

    The keyed hash is stored even when no subscriber exists, so a later import skips it.
    With ``push`` (SendGrid is the transport) the address is also queued, in the same
    transaction, for the next suppression sync to push to SendGrid, which deletes it from the
    queue once pushed (:mod:`subscribers.pushqueue`).
    """
    now = now or datetime.now(UTC)
    address, key = normalise_email(email)
    with write_transaction(engine) as connection:
        if not is_erased(connection, hasher, key):
            connection.execute(
                insert(erasures).values(address_hash=hasher.hash(key), erased_at=now)
            )
        if push:
            queue_push(connection, address, now=now)
        try:
            found = require_subscriber(connection, address)
        except UnknownSubscriber:
            record_action(connection, who=who, action="forget", count=0, now=now)
            return False
        for table in (subscriptions, subscriber_interests, consents):
            connection.execute(delete(table).where(table.c.subscriber_id == found.id))
        connection.execute(
            update(subscribers)
            .where(subscribers.c.id == found.id)
            .values(
                public_id=new_public_id(),  # old links stop resolving
                email=None,
                email_key=None,
                first_name=None,
                last_name=None,
                attributes={},
                status=FORGOTTEN,
                forgotten_at=now,
                updated_at=now,
            )
        )
        record_action(connection, who=who, action="forget", count=1, now=now)
        return True


def export_data(engine: Engine, email: str) -> dict[str, Any]:
    """Everything held about one person (subject access request), JSON-ready: with the lawful
    basis of each subscription and of each consent record."""
    with read_connection(engine) as connection:
        found = require_subscriber(connection, email)
        rows = connection.execute(
            select(consents).where(consents.c.subscriber_id == found.id).order_by(consents.c.id)
        ).all()
    data = found.as_dict()
    data["consents"] = [
        {
            "list": row.list_id,
            "source": row.source,
            "wording": row.wording,
            "wording_sha256": row.wording_sha256,
            "note": row.note,
            "ip": row.ip,
            "at": row.at.isoformat(),
            **basis_of(row).as_dict(),
        }
        for row in rows
    ]
    data["audit"] = [
        entry.as_dict() for entry in list_entries(engine, limit=1000, subject=found.public_id)
    ]
    return {"subscriber": data, "exported_at": datetime.now(UTC).isoformat()}


def purge_pending(
    engine: Engine,
    older_than: timedelta,
    *,
    who: str,
    now: datetime | None = None,
) -> int:
    """Delete subscribers who never confirmed within ``older_than``; returns how many."""
    now = now or datetime.now(UTC)
    with write_transaction(engine) as connection:
        deleted = connection.execute(
            delete(subscribers).where(
                subscribers.c.status == PENDING, subscribers.c.created_at < now - older_than
            )
        ).rowcount
        record_action(
            connection,
            who=who,
            action="purge",
            count=deleted,
            detail=f"pending older than {older_than}",
            now=now,
        )
    return int(deleted)
