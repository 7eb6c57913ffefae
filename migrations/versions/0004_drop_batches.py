"""Drop the ``batches`` table: a batch is its delivery rows, grouped by ``deliveries.batch_id``.

Everything a ``batches`` row held (worker, size, status, message id, note, times) is also on
the batch's delivery rows; see :mod:`mailer.send.tables`. The downgrade recreates the table
and fills it back from the deliveries, one row per batch that still has deliveries.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.drop_index("ix_batches_campaign_id", table_name="batches")
    op.drop_table("batches")


def downgrade() -> None:
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
    op.execute(
        "INSERT INTO batches (id, campaign_id, worker_id, size, status, message_id, note, "
        "created_at, updated_at) "
        "SELECT batch_id, MIN(campaign_id), MIN(worker_id), COUNT(*), MIN(status), "
        "MIN(message_id), MIN(note), MIN(updated_at), MAX(updated_at) "
        "FROM deliveries "
        "WHERE batch_id IS NOT NULL AND worker_id IS NOT NULL AND updated_at IS NOT NULL "
        "GROUP BY batch_id"
    )
