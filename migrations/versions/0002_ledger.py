"""Campaign ledger: campaigns, deliveries, batches, test sends.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("issue_id", sa.String(80), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("list_id", sa.String(64), nullable=False),
        sa.Column("interests", sa.JSON, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("email_json", sa.Text, nullable=False),
        sa.Column("transport", sa.String(32), nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.Column("status_reason", sa.Text, nullable=True),
        sa.Column("auto_resume", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("snapshot_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("lock_owner", sa.String(160), nullable=True),
        sa.Column("lock_until", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
        sa.UniqueConstraint("issue_id", name="uq_campaigns_issue_id"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("subscriber_id", sa.Integer, nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("batch_id", sa.String(40), nullable=True),
        sa.Column("worker_id", sa.String(160), nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("message_id", sa.String(160), nullable=True),
        sa.Column("updated_at", TS, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_deliveries_campaign_id_campaigns",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name="fk_deliveries_subscriber_id_subscribers",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint(
            "campaign_id", "subscriber_id", name="uq_deliveries_campaign_id_subscriber_id"
        ),
    )
    op.create_index(
        "ix_deliveries_campaign_id_status_id", "deliveries", ["campaign_id", "status", "id"]
    )
    op.create_index("ix_deliveries_batch_id", "deliveries", ["batch_id"])
    op.create_table(
        "batches",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("worker_id", sa.String(160), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("message_id", sa.String(160), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_batches"),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_batches_campaign_id_campaigns",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_batches_campaign_id", "batches", ["campaign_id"])
    op.create_table(
        "test_sends",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("issue_id", sa.String(80), nullable=False),
        sa.Column("mode", sa.String(12), nullable=False),
        sa.Column("transport", sa.String(32), nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_test_sends"),
    )
    op.create_index("ix_test_sends_issue_id", "test_sends", ["issue_id"])


def downgrade() -> None:
    op.drop_index("ix_test_sends_issue_id", table_name="test_sends")
    op.drop_table("test_sends")
    op.drop_index("ix_batches_campaign_id", table_name="batches")
    op.drop_table("batches")
    op.drop_index("ix_deliveries_batch_id", table_name="deliveries")
    op.drop_index("ix_deliveries_campaign_id_status_id", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("campaigns")
