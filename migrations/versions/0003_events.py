"""SendGrid events: one row per event, idempotent by ``sg_event_id``.

No email address is stored (an erased person must leave nothing here): an event points at the
subscriber row (``subscriber_id``), which :func:`subscribers.privacy.forget` blanks.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("sg_event_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("effect", sa.String(12), nullable=False),
        sa.Column("campaign_id", sa.Integer, nullable=True),
        sa.Column("delivery_ref", sa.String(64), nullable=True),
        sa.Column("subscriber_id", sa.Integer, nullable=True),
        sa.Column("list_id", sa.String(64), nullable=True),
        sa.Column("sg_message_id", sa.String(160), nullable=True),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("bounce_type", sa.String(32), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint("sg_event_id", name="uq_events_sg_event_id"),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_events_campaign_id_campaigns",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name="fk_events_subscriber_id_subscribers",
            ondelete="SET NULL",
        ),
    )
    op.create_index(
        "ix_events_campaign_id_kind_subscriber_id",
        "events",
        ["campaign_id", "kind", "subscriber_id"],
    )
    op.create_index("ix_events_campaign_id_effect", "events", ["campaign_id", "effect"])
    op.create_index("ix_events_subscriber_id", "events", ["subscriber_id"])


def downgrade() -> None:
    op.drop_index("ix_events_subscriber_id", table_name="events")
    op.drop_index("ix_events_campaign_id_effect", table_name="events")
    op.drop_index("ix_events_campaign_id_kind_subscriber_id", table_name="events")
    op.drop_table("events")
