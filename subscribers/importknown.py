"""What the store already holds about a batch of import rows: one query per table.

Used by :mod:`subscribers.importer`: the subscribers with those addresses, their subscription
(status and lawful basis) to the import's list and their interests, and which addresses were
forgotten or suppressed on request (keyed hashes, :mod:`subscribers.fps`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from subscribers.bulk import member_of
from subscribers.csvrows import ParsedRow
from subscribers.fps import AddressSuppression, suppressions_by_hash
from subscribers.keys import AddressHasher
from subscribers.models import erasures, subscriber_interests, subscribers, subscriptions


@dataclass(frozen=True, slots=True)
class Known:
    """What the store already holds about a batch's addresses (one query per table)."""

    existing: dict[str, Any]  # email key -> subscriber row
    lists: dict[int, tuple[str, str]]  # subscriber id -> (status, basis) on the import's list
    interests: dict[int, set[str]]  # subscriber id -> interest ids
    hashes: dict[str, tuple[str, ...]]  # email key -> its keyed hashes
    erased: set[str]  # those hashes (of new addresses) found among the erasures
    suppressed: dict[str, AddressSuppression]  # those found among the FPS suppressions

    def refusal(self, key: str) -> str | None:
        """Why a suppressed-on-request address is skipped, or None."""
        for address_hash in self.hashes[key]:
            found = self.suppressed.get(address_hash)
            if found is not None:
                return found.reason()
        return None


def look_up(
    connection: Connection, batch: list[ParsedRow], list_id: str, hasher: AddressHasher
) -> Known:
    keys = [row.key for row in batch]
    existing = {
        r.email_key: r
        for r in connection.execute(
            select(
                subscribers.c.id,
                subscribers.c.email_key,
                subscribers.c.status,
                subscribers.c.first_name,
                subscribers.c.last_name,
                subscribers.c.attributes,
            ).where(member_of(connection, subscribers.c.email_key, keys))
        )
    }
    ids = [r.id for r in existing.values()]
    lists = {
        r.subscriber_id: (r.status, r.basis)
        for r in connection.execute(
            select(
                subscriptions.c.subscriber_id, subscriptions.c.status, subscriptions.c.basis
            ).where(
                member_of(connection, subscriptions.c.subscriber_id, ids),
                subscriptions.c.list_id == list_id,
            )
        )
    }
    have: dict[int, set[str]] = {}
    for sid, interest in connection.execute(
        select(subscriber_interests.c.subscriber_id, subscriber_interests.c.interest_id).where(
            member_of(connection, subscriber_interests.c.subscriber_id, ids)
        )
    ):
        have.setdefault(sid, set()).add(interest)
    hashes = {row.key: hasher.hashes(row.key) for row in batch}
    newcomers = [h for key, hs in hashes.items() if key not in existing for h in hs]
    erased = set(
        connection.execute(
            select(erasures.c.address_hash).where(
                member_of(connection, erasures.c.address_hash, newcomers)
            )
        ).scalars()
    )
    everyone = [h for hs in hashes.values() for h in hs]
    return Known(existing, lists, have, hashes, erased, suppressions_by_hash(connection, everyone))


@dataclass(frozen=True, slots=True)
class Held:
    """What the store holds for an existing subscriber on the import's list."""

    status: str | None  # subscription status, None when not on the list
    basis: str | None
    interests: set[str]
