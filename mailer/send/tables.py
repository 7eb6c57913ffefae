"""Tables of the sending ledger, on the project's one ``MetaData`` (see migration 0002).

States are named constants, as in listmonk:

campaign:  draft → scheduled → sending → sent, or paused / cancelled / failed
delivery:  queued → claimed (worker id + lease) → accepted,
           or failed / suppressed / unknown (fate not known: settled by SendGrid's own
           ``processed``/``dropped`` events or by a person, never resent silently)
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from subscribers.models import UtcDateTime, metadata

# campaign states
DRAFT = "draft"
SCHEDULED = "scheduled"
SENDING = "sending"
SENT = "sent"
PAUSED = "paused"
CANCELLED = "cancelled"
FAILED = "failed"
FINISHED_STATES = frozenset({SENT, CANCELLED, FAILED})

# delivery states
QUEUED = "queued"
CLAIMED = "claimed"
ACCEPTED = "accepted"
UNKNOWN = "unknown"
SUPPRESSED = "suppressed"
DELIVERY_FAILED = "failed"
DELIVERY_STATES = (QUEUED, CLAIMED, ACCEPTED, UNKNOWN, SUPPRESSED, DELIVERY_FAILED)

Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite only autoincrements INTEGER

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issue_id", String(80), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("list_id", String(64), nullable=False),
    Column("interests", JSON, nullable=False),
    Column("subject", Text, nullable=False),
    Column("email_json", Text, nullable=False),
    Column("transport", String(32), nullable=False),
    Column("recipients", Integer, nullable=False, default=0),
    Column("status_reason", Text, nullable=True),
    Column("auto_resume", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("snapshot_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("lock_owner", String(160), nullable=True),
    Column("lock_until", UtcDateTime, nullable=True),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "campaign_id",
        Integer,
        ForeignKey("campaigns.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("status", String(12), nullable=False),
    Column("batch_id", String(40), nullable=True),
    Column("worker_id", String(160), nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("message_id", String(160), nullable=True),
    Column("updated_at", UtcDateTime, nullable=True),
    Column("note", Text, nullable=True),
    UniqueConstraint("campaign_id", "subscriber_id"),
    Index("ix_deliveries_campaign_id_status_id", "campaign_id", "status", "id"),
    Index("ix_deliveries_batch_id", "batch_id"),
)

batches = Table(
    "batches",
    metadata,
    Column("id", String(40), primary_key=True),
    Column(
        "campaign_id",
        Integer,
        ForeignKey("campaigns.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("worker_id", String(160), nullable=False),
    Column("size", Integer, nullable=False),
    Column("status", String(12), nullable=False),
    Column("message_id", String(160), nullable=True),
    Column("note", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

test_sends = Table(
    "test_sends",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issue_id", String(80), nullable=False, index=True),
    Column("mode", String(12), nullable=False),  # "test" or "sandbox"
    Column("transport", String(32), nullable=False),
    Column("recipients", Integer, nullable=False),
    Column("detail", JSON, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)
