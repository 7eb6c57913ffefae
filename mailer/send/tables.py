"""Tables of the sending ledger, on the project's one ``MetaData`` (migrations 0002, 0004, 0006).

The states in the ``status`` columns are in :mod:`mailer.send.states`.

There is no ``batches`` table any more (migration 0004 drops it). It held, per claimed batch,
the worker, size, status, message id and note, and every one of those is also on the batch's
delivery rows: ``deliveries.batch_id`` (indexed) groups them, ``worker_id``, ``message_id``,
``note`` and ``updated_at`` are the same on each row of a batch, and the size is a count. The
only states it had of its own (``released``, ``resolved``) were read by nothing; the one
reader, ``unknown_batches`` (``campaigns show``, the send report), groups unknown deliveries by
batch id instead. Dropping it saves an INSERT and an UPDATE per batch and the bookkeeping that
kept the two in step (settling, lease expiry, resolving, and SendGrid events closing batches).
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
    # the frozen email's hash (render.email.email_hash): when approval is required, the
    # approved one (0006)
    Column("email_hash", String(64), nullable=True),
    # the SendGrid batch a campaign with a cancel window is staged under, and its send_at
    # (migration 0007)
    Column("sg_batch_id", String(64), nullable=True),
    Column("sg_send_at", UtcDateTime, nullable=True),
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
    Index("ix_deliveries_campaign_id_status", "campaign_id", "status"),  # 0009: counts by state
    Index("ix_deliveries_batch_id", "batch_id"),
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

# --- sign-off (0006) -----------------------------------------------------------------------

proofs = Table(
    "proofs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issue_id", String(80), nullable=False, index=True),
    Column("ref", String(40), nullable=False, unique=True),  # names the outbox files
    Column("email_hash", String(64), nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("transport", String(32), nullable=False),
    Column("embargo_until", UtcDateTime, nullable=True),
    Column("message_id", String(160), nullable=True),
    Column("at", UtcDateTime, nullable=False),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issue_id", String(80), nullable=False, index=True),
    Column("email_hash", String(64), nullable=False),
    Column("approver", String(200), nullable=False),
    Column("manifest", JSON, nullable=False),
    Column("text_part", Text, nullable=True),  # the approved email's plain-text part
    Column("approved_at", UtcDateTime, nullable=False),
    Column("withdrawn_at", UtcDateTime, nullable=True),
    Column("withdrawn_by", String(200), nullable=True),
)
