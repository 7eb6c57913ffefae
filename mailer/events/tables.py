"""The ``events`` table (migrations 0003, 0008, 0009): every SendGrid event received, once.

``sg_event_id`` is unique, so a batch SendGrid retries is recorded once. No email address is
kept: ``subscriber_id`` points at the subscriber row (blanked by ``forget``), addresses in
bounce reasons are redacted, and per-recipient tokens in clicked links are cut out.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from mailer.send.tables import Id
from subscribers.models import UtcDateTime, metadata

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sg_event_id", String(100), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),  # mailer.events.webhook.EventKind
    Column("event_type", String(40), nullable=False),  # as SendGrid named it
    Column("effect", String(12), nullable=False),  # mailer.events.webhook.Effect
    Column(
        "campaign_id",
        Integer,
        ForeignKey("campaigns.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("delivery_ref", String(64), nullable=True),
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("list_id", String(64), nullable=True),
    Column("sg_message_id", String(160), nullable=True),
    Column("url", Text, nullable=True),
    Column("bounce_type", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("bounce_classification", String(64), nullable=True),  # SendGrid's, e.g. "Reputation"
    Column(
        "machine_open", Boolean, nullable=True
    ),  # sg_machine_open: opened by a proxy, not a person
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index("ix_events_campaign_id_effect", "campaign_id", "effect"),
    # 0009: the report of a large campaign read from the indexes alone (bench/console.py)
    Index(
        "ix_events_campaign_id_kind_effect_machine_open",
        "campaign_id",
        "kind",
        "effect",
        "machine_open",
    ),
    Index(
        "ix_events_campaign_id_kind_subscriber_id_machine_open",
        "campaign_id",
        "kind",
        "subscriber_id",
        "machine_open",
    ),
    Index(
        "ix_events_campaign_id_kind_url_subscriber_id",
        "campaign_id",
        "kind",
        "url",
        "subscriber_id",
    ),
    Index("ix_events_campaign_id_kind_occurred_at", "campaign_id", "kind", "occurred_at"),
    Index("ix_events_subscriber_id", "subscriber_id"),
)
