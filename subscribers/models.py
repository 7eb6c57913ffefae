"""Tables of the subscriber store, as SQLAlchemy Core metadata.

``metadata`` is shared: the sending ledger may define its tables on this same object
(``from subscribers.models import metadata``) so foreign keys to ``subscribers.id`` resolve,
or on its own ``MetaData``; either way its schema changes go into the one Alembic history in
``migrations/`` as new revisions (``0002`` …). The migrations, not this module, are the source
of truth for the schema; keep the two in step.

Statuses
  subscriber: pending → active → unsubscribed | bounced | complained; forgotten (erased)
  subscription (subscriber × list): pending → active → unsubscribed
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect

PENDING = "pending"
ACTIVE = "active"
UNSUBSCRIBED = "unsubscribed"
BOUNCED = "bounced"
COMPLAINED = "complained"
FORGOTTEN = "forgotten"

# Lawful bases of a subscription (PECR regulation 22 as amended by the Data (Use and Access)
# Act 2025): the person's consent, or the charitable purpose soft opt-in.
CONSENT = "consent"
SOFT_OPT_IN = "charitable_soft_opt_in"
BASES = (CONSENT, SOFT_OPT_IN)

#: Statuses that an import or an API call never undoes without an explicit new opt-in.
SUPPRESSED_STATUSES = frozenset({UNSUBSCRIBED, BOUNCED, COMPLAINED, FORGOTTEN})

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("email", String(320), nullable=True),
    Column("email_key", String(320), nullable=True, unique=True),
    Column("first_name", String(200), nullable=True),
    Column("last_name", String(200), nullable=True),
    Column("status", String(16), nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime, nullable=True),
    Column("unsubscribed_at", UtcDateTime, nullable=True),
    Column("bounced_at", UtcDateTime, nullable=True),
    Column("complained_at", UtcDateTime, nullable=True),
    Column("forgotten_at", UtcDateTime, nullable=True),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("list_id", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("unsubscribed_at", UtcDateTime, nullable=True),
    # the lawful basis (migration 0008); the soft opt-in's evidence as the latest opt-in gave it
    Column("basis", String(32), nullable=False, server_default=CONSENT),
    Column("basis_context", Text, nullable=True),
    Column("opt_out_evidence", Text, nullable=True),
    Column("opt_out_offered_on", Date, nullable=True),
    Index("ix_subscriptions_list_id_status_subscriber_id", "list_id", "status", "subscriber_id"),
)

subscriber_interests = Table(
    "subscriber_interests",
    metadata,
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("interest_id", String(64), primary_key=True),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("list_id", String(64), nullable=True),
    Column("source", String(32), nullable=False),
    Column("wording", Text, nullable=True),
    Column("wording_sha256", String(64), nullable=True),
    Column("note", Text, nullable=True),
    Column("ip", String(64), nullable=True),
    Column("at", UtcDateTime, nullable=False),
    # the lawful basis of this opt-in and, for the soft opt-in, its evidence (migration 0008)
    Column("basis", String(32), nullable=True),
    Column("basis_context", Text, nullable=True),
    Column("opt_out_evidence", Text, nullable=True),
    Column("opt_out_offered_on", Date, nullable=True),
)

erasures = Table(
    "erasures",
    metadata,
    Column("address_hash", String(64), primary_key=True),
    Column("erased_at", UtcDateTime, nullable=False),
)

# Addresses suppressed at the request of the Fundraising Preference Service (``fps``) or of the
# person (``request``), subscribers or not: a keyed hash like ``erasures`` (migration 0008).
suppressed_addresses = Table(
    "suppressed_addresses",
    metadata,
    Column("address_hash", String(64), primary_key=True),
    Column("source", String(16), nullable=False),
    Column("requested_on", Date, nullable=False),
    Column("reference", String(100), nullable=True),
    Column("actioned_at", UtcDateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("who", String(200), nullable=False),
    Column("action", String(32), nullable=False),
    Column("subject", String(32), nullable=True),
    Column("count", Integer, nullable=False),
    Column("detail", Text, nullable=False),
    # what the action came through, e.g. ``campaign:12`` for a campaign's unsubscribe link
    Column("source", String(64), nullable=True, index=True),
)
