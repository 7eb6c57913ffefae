"""Suppressing an address on request, subscriber or not: the Fundraising Preference Service.

The Fundraising Preference Service (FPS, run by the Fundraising Regulator) passes on a
person's request that a charity stop contacting them; the charity must act on it within 28
days, whether or not the person is on its lists, and must not contact them again. A person
may ask the charity directly too (source ``request``).

:func:`suppress_address` stores a keyed hash of the address (:class:`subscribers.keys.
AddressHasher`, as :func:`subscribers.privacy.forget` does; never the address itself) with the
date of the request and the moment it was actioned. When the address is a subscriber, every
subscription ends at once (an unsubscribe from everything, with the source in the audit log).
From then on an import skips the address with the reason, and :func:`subscribers.store.
subscribe` refuses it (``Suppressed``, status ``fps`` or ``request``) unless the caller passes
``reopt_in`` for an explicit new opt-in the person made to the charity itself, which lifts the
suppression (logged). The web signup never passes it: see ``mailer.web.signup``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine, delete, insert, select

from subscribers.audit import record_action
from subscribers.bulk import member_of
from subscribers.db import read_connection, write_transaction
from subscribers.errors import SubscriberError, Suppressed
from subscribers.keys import AddressHasher
from subscribers.models import erasures, suppressed_addresses
from subscribers.pushqueue import queue_push
from subscribers.records import find_subscriber, is_erased, normalise_email
from subscribers.suppression import unsubscribe_many

#: Who asked, as ``--source`` names it, and how a reason reads.
SOURCES = {
    "fps": "a Fundraising Preference Service request",
    "request": "the person's own request",
}
MAX_REFERENCE = 100
#: The push queue's reason for an address suppressed here (the sync counts pushes by reason).
FPS_PUSH_REASON = "fps"

__all__ = [
    "SOURCES",
    "AddressSuppression",
    "SuppressResult",
    "find_suppression",
    "is_suppressed",
    "lift_suppression",
    "refuse_blocked",
    "suppress_address",
    "suppressions_by_hash",
]


@dataclass(frozen=True, slots=True)
class AddressSuppression:
    source: str  # a key of SOURCES
    requested_on: date
    reference: str | None
    actioned_at: datetime

    def reason(self) -> str:
        """Why an import or an opt-in is refused, in one line."""
        ref = f", ref {self.reference}" if self.reference else ""
        return (
            f"suppressed: {SOURCES.get(self.source, self.source)} of "
            f"{self.requested_on.isoformat()}{ref}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "requested_on": self.requested_on.isoformat(),
            "reference": self.reference,
            "actioned_at": self.actioned_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class SuppressResult:
    suppression: AddressSuppression  # the one in force (the earlier one when ``already``)
    unsubscribed: bool  # the address was a subscriber with a subscription, now ended
    already: bool  # it was suppressed before this request

    def as_dict(self) -> dict[str, object]:
        return {
            **self.suppression.as_dict(),
            "unsubscribed": self.unsubscribed,
            "already_suppressed": self.already,
        }


def suppress_address(
    engine: Engine,
    email: str,
    *,
    source: str,
    hasher: AddressHasher,
    who: str,
    requested_on: date | None = None,
    reference: str | None = None,
    now: datetime | None = None,
    push: bool = False,
) -> SuppressResult:
    """Suppress ``email`` for good, subscriber or not; the audit log records the request (its
    date and reference) and the date it was actioned (now).

    With ``push`` (SendGrid is the transport) an address that is not a subscriber is queued, in
    the same transaction, for the next suppression sync to push to SendGrid
    (:mod:`subscribers.pushqueue`); a subscriber is unsubscribed from every list here, and the
    sync pushes everyone unsubscribed from every list anyway."""
    now = now or datetime.now(UTC)
    requested_on = requested_on or now.date()
    if source not in SOURCES:
        raise SubscriberError(f"unknown source {source!r}; expected {' or '.join(SOURCES)}")
    if requested_on > now.date():
        raise SubscriberError(f"the request date {requested_on.isoformat()} is in the future")
    reference = (reference or "").strip()[:MAX_REFERENCE] or None
    address, key = normalise_email(email)
    with write_transaction(engine) as connection:
        earlier = find_suppression(connection, hasher, key)
        if earlier is None:
            connection.execute(
                insert(suppressed_addresses).values(
                    address_hash=hasher.hash(key),
                    source=source,
                    requested_on=requested_on,
                    reference=reference,
                    actioned_at=now,
                )
            )
        found = find_subscriber(connection, address)
        if push and found is None and earlier is None:
            queue_push(connection, address, now=now, reason=FPS_PUSH_REASON)
        changed = (
            unsubscribe_many(connection, [found.id], None, who=who, now=now, source=source)
            if found is not None
            else set()
        )
        ref = f", ref {reference}" if reference else ""
        record_action(
            connection,
            who=who,
            action="suppress",
            count=1 if found is not None else 0,
            subject=found.public_id if found is not None else None,
            detail=(
                f"{source} request of {requested_on.isoformat()}{ref}, actioned "
                f"{now.date().isoformat()}"
                + (" (already suppressed)" if earlier else "")
                + ("" if found is not None else " (not a subscriber)")
            ),
            source=source,
            now=now,
        )
    current = earlier or AddressSuppression(source, requested_on, reference, now)
    return SuppressResult(current, bool(changed), earlier is not None)


def find_suppression(
    connection: Connection, hasher: AddressHasher, email_key: str
) -> AddressSuppression | None:
    """The suppression in force for this address (by any of the keys), or None."""
    found = suppressions_by_hash(connection, hasher.hashes(email_key))
    return next(iter(found.values()), None)


def suppressions_by_hash(
    connection: Connection, hashes: Collection[str]
) -> dict[str, AddressSuppression]:
    """The suppressions stored under any of ``hashes``, by hash (one query)."""
    if not hashes:
        return {}
    rows = connection.execute(
        select(suppressed_addresses).where(
            member_of(connection, suppressed_addresses.c.address_hash, list(hashes))
        )
    )
    return {
        row.address_hash: AddressSuppression(
            row.source, row.requested_on, row.reference, row.actioned_at
        )
        for row in rows
    }


def is_suppressed(engine: Engine, hasher: AddressHasher, email: str) -> bool:
    """True when ``email`` was suppressed on request (False for an invalid address)."""
    try:
        key = normalise_email(email)[1]
    except SubscriberError:
        return False
    with read_connection(engine) as connection:
        return find_suppression(connection, hasher, key) is not None


def lift_suppression(
    connection: Connection, hasher: AddressHasher, email_key: str, *, who: str, now: datetime
) -> None:
    """Remove the suppression after an explicit new opt-in the person made (audit-logged)."""
    connection.execute(
        delete(suppressed_addresses).where(
            suppressed_addresses.c.address_hash.in_(hasher.hashes(email_key))
        )
    )
    record_action(
        connection,
        who=who,
        action="unsuppress",
        count=1,
        detail="lifted by an explicit new opt-in",
        now=now,
    )


def refuse_blocked(
    connection: Connection,
    hasher: AddressHasher,
    address: str,
    key: str,
    *,
    reopt_in: bool,
    who: str,
    now: datetime,
) -> None:
    """Raise Suppressed for an address that was forgotten (erased) or suppressed on request,
    unless ``reopt_in`` (an explicit new opt-in by the person), which lifts either. The one
    check every opt-in of :mod:`subscribers.store` makes."""
    if is_erased(connection, hasher, key):
        if not reopt_in:
            raise Suppressed(f"{address} was forgotten (erased) at their request", "forgotten")
        connection.execute(delete(erasures).where(erasures.c.address_hash.in_(hasher.hashes(key))))
    blocked = find_suppression(connection, hasher, key)
    if blocked is not None:
        if not reopt_in:
            raise Suppressed(f"{address} is {blocked.reason()}", blocked.source)
        lift_suppression(connection, hasher, key, who=who, now=now)
