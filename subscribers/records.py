"""Subscriber records and read-only lookups (re-exported by :mod:`subscribers.store`).

A subscriber is referred to by a :class:`Subscriber`, its integer ``id``, or its address
(a ``str``).
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Connection, Engine, Row, func, select

from subscribers.bulk import chunked, member_of
from subscribers.db import read_connection
from subscribers.errors import InvalidAddress, InvalidBasis, UnknownSubscriber
from subscribers.keys import AddressHasher
from subscribers.models import (
    BASES,
    CONSENT,
    SOFT_OPT_IN,
    erasures,
    subscriber_interests,
    subscribers,
    subscriptions,
)

MAX_NAME = 200
MAX_EVIDENCE = 1000


@dataclass(frozen=True, slots=True)
class Basis:
    """The lawful basis of a subscription: ``consent``, or ``charitable_soft_opt_in``.

    The charitable purpose soft opt-in (PECR regulation 22 as amended by the Data (Use and
    Access) Act 2025) needs what the person was doing when their details were collected
    (``context``, e.g. "donated at the 2026 Race for Life") and proof that an opt-out was
    offered then: a reference to the form or script that offered it (``opt_out_evidence``) and
    the date (``opt_out_offered_on``). Without them it raises :class:`InvalidBasis`.
    """

    kind: str = CONSENT
    context: str | None = None
    opt_out_evidence: str | None = None
    opt_out_offered_on: date | None = None

    def __post_init__(self) -> None:
        if self.kind not in BASES:
            raise InvalidBasis(f"unknown basis {self.kind!r}; expected {' or '.join(BASES)}")
        if self.kind != SOFT_OPT_IN:
            return
        if not (self.context or "").strip():
            raise InvalidBasis(
                f"{SOFT_OPT_IN} needs basis_context: what the person was doing when their "
                "details were collected (e.g. donated at the 2026 Race for Life)"
            )
        if not (self.opt_out_evidence or "").strip():
            raise InvalidBasis(
                f"{SOFT_OPT_IN} needs opt_out_evidence: a reference to the form or script "
                "that offered an opt-out when the details were collected"
            )
        if self.opt_out_offered_on is None:
            raise InvalidBasis(
                f"{SOFT_OPT_IN} needs opt_out_offered_on: the date the opt-out was offered"
            )

    def columns(self) -> dict[str, Any]:
        """The basis columns of a ``subscriptions`` or ``consents`` row."""
        return {
            "basis": self.kind,
            "basis_context": self.context,
            "opt_out_evidence": self.opt_out_evidence,
            "opt_out_offered_on": self.opt_out_offered_on,
        }

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"basis": self.kind}
        if self.kind == SOFT_OPT_IN:
            data.update(
                context=self.context,
                opt_out_evidence=self.opt_out_evidence,
                opt_out_offered_on=iso_date(self.opt_out_offered_on),
            )
        return data

    def describe(self) -> str:
        """One line for a person: the basis and, for the soft opt-in, its evidence."""
        if self.kind != SOFT_OPT_IN:
            return self.kind
        return (
            f"{self.kind}: {self.context}; opt-out offered {iso_date(self.opt_out_offered_on)} "
            f"({self.opt_out_evidence})"
        )


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def basis_of(row: Any) -> Basis:
    """The :class:`Basis` of a row with the basis columns (a NULL basis is consent)."""
    if (row.basis or CONSENT) == CONSENT:
        return Basis()
    return Basis(row.basis, row.basis_context, row.opt_out_evidence, row.opt_out_offered_on)


@dataclass(frozen=True, slots=True)
class Consent:
    """One opt-in: where it came from, what the person agreed to, when and from where, and
    on which lawful basis (consent unless said otherwise)."""

    source: str  # "form", "import", "staff", "preferences"
    wording: str | None = None
    ip: str | None = None
    note: str | None = None
    basis: Basis = Basis()


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    public_id: str
    email: str | None
    first_name: str | None
    last_name: str | None
    status: str
    attributes: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    bounced_at: datetime | None
    complained_at: datetime | None
    forgotten_at: datetime | None
    lists: Mapping[str, str] = field(default_factory=dict)  # list id -> subscription status
    interests: frozenset[str] = frozenset()
    bases: Mapping[str, Basis] = field(default_factory=dict)  # list id -> lawful basis

    def as_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "public_id": self.public_id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "status": self.status,
            "attributes": dict(self.attributes),
            "lists": dict(sorted(self.lists.items())),
            "interests": sorted(self.interests),
            "lawful_basis": {k: v.as_dict() for k, v in sorted(self.bases.items())},
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "confirmed_at": iso(self.confirmed_at),
            "unsubscribed_at": iso(self.unsubscribed_at),
            "bounced_at": iso(self.bounced_at),
            "complained_at": iso(self.complained_at),
            "forgotten_at": iso(self.forgotten_at),
        }


SubscriberRef = Subscriber | int | str


# A plain ASCII dot-atom local part: email-validator accepts it unchanged, so only the domain
# needs its check, which is cached (mailing lists repeat a few domains). Anything else takes
# the full email-validator path.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def normalise_email(address: str) -> tuple[str, str]:
    """(normalised address, case-insensitive key); InvalidAddress when the syntax is wrong.

    Syntax only (email-validator, no DNS).
    """
    address = address.strip()
    local, at, domain = address.rpartition("@")
    plain = at and len(address) <= 254 and len(local) <= 64 and domain.isascii()
    if plain and _PLAIN_LOCAL.fullmatch(local):
        normalised_domain = _domain(domain)
        if normalised_domain is not None:
            normalised = f"{local}@{normalised_domain}"
            return normalised, normalised.lower()
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(f"{address!r}: {exc}") from None
    return result.normalized, result.normalized.lower()


@functools.lru_cache(maxsize=4096)
def _domain(domain: str) -> str | None:
    """The normalised domain, or None when the full validator must explain what is wrong."""
    try:
        return validate_email(f"a@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None


def new_public_id() -> str:
    return secrets.token_urlsafe(12)


def wording_hash(wording: str | None) -> str | None:
    return hashlib.sha256(wording.encode("utf-8")).hexdigest() if wording else None


def consent_row(
    subscriber_id: int, list_id: str | None, consent: Consent, now: datetime
) -> dict[str, Any]:
    return {
        "subscriber_id": subscriber_id,
        "list_id": list_id,
        "source": consent.source[:32],
        "wording": consent.wording,
        "wording_sha256": wording_hash(consent.wording),
        "note": consent.note,
        "ip": consent.ip,
        "at": now,
        **consent.basis.columns(),
    }


# --- lookups -------------------------------------------------------------------------------


def load_subscriber(connection: Connection, row: Row[Any] | None) -> Subscriber | None:
    if row is None:
        return None
    rows = connection.execute(
        select(
            subscriptions.c.list_id,
            subscriptions.c.status,
            subscriptions.c.basis,
            subscriptions.c.basis_context,
            subscriptions.c.opt_out_evidence,
            subscriptions.c.opt_out_offered_on,
        ).where(subscriptions.c.subscriber_id == row.id)
    ).all()
    lists = {r.list_id: r.status for r in rows}
    bases = {r.list_id: basis_of(r) for r in rows}
    interests = frozenset(
        connection.execute(
            select(subscriber_interests.c.interest_id).where(
                subscriber_interests.c.subscriber_id == row.id
            )
        ).scalars()
    )
    values = {column.name: getattr(row, column.name) for column in subscribers.columns}
    del values["email_key"]
    return Subscriber(**values, lists=lists, interests=interests, bases=bases)


def find_subscriber(connection: Connection, ref: SubscriberRef) -> Subscriber | None:
    if isinstance(ref, Subscriber):
        ref = ref.id
    if isinstance(ref, int):
        condition = subscribers.c.id == ref
    else:
        try:
            condition = subscribers.c.email_key == normalise_email(ref)[1]
        except InvalidAddress:
            return None
    return load_subscriber(
        connection, connection.execute(select(subscribers).where(condition)).first()
    )


def require_subscriber(connection: Connection, ref: SubscriberRef) -> Subscriber:
    found = find_subscriber(connection, ref)
    if found is None:
        what = ref.email if isinstance(ref, Subscriber) else ref
        raise UnknownSubscriber(f"no subscriber {what!r}")
    return found


def get_subscriber(engine: Engine, ref: SubscriberRef) -> Subscriber:
    """The subscriber; UnknownSubscriber when there is none."""
    with read_connection(engine) as connection:
        return require_subscriber(connection, ref)


def get_by_email(engine: Engine, email: str) -> Subscriber | None:
    with read_connection(engine) as connection:
        return find_subscriber(connection, email)


def get_by_public_id(engine: Engine, public_id: str) -> Subscriber | None:
    with read_connection(engine) as connection:
        row = connection.execute(
            select(subscribers).where(subscribers.c.public_id == public_id)
        ).first()
        return load_subscriber(connection, row)


def ids_by_email_key(connection: Connection, email_keys: Iterable[str]) -> dict[str, int]:
    """Subscriber id by email key (see :func:`normalise_email`), for the keys the store holds."""
    found: dict[str, int] = {}
    for chunk in chunked(email_keys):
        rows = connection.execute(
            select(subscribers.c.email_key, subscribers.c.id).where(
                member_of(connection, subscribers.c.email_key, chunk)
            )
        )
        found.update({row.email_key: row.id for row in rows})
    return found


def is_erased(connection: Connection, hasher: AddressHasher, email_key: str) -> bool:
    hashes = hasher.hashes(email_key)
    query = select(func.count()).where(erasures.c.address_hash.in_(hashes))
    return bool(connection.execute(query).scalar())
