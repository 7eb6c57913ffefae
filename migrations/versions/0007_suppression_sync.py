"""SendGrid kept in step: suppression sync watermarks, what was pushed, the push queue of
forgotten addresses, and a campaign's batch id and ``send_at`` for the cancel window.

- ``suppression_watermarks``: one row per SendGrid suppression list (bounces, blocks,
  spam_reports, invalid_emails, unsubscribes): everything created up to ``watermark`` (a Unix
  time) has been applied; a run in progress keeps its fixed ``run_end`` and the ``run_offset``
  of the pages already applied, so a killed run resumes where it stopped.
- ``suppression_pushes``: which subscriber was pushed to which target (``global`` or
  ``group:<id>``) and when, so a second sync pushes nothing twice.
- ``suppression_push_queue``: the address of a person forgotten while SendGrid is the
  transport, held only until it is pushed to SendGrid's suppressions, then deleted.
- ``campaigns.sg_batch_id`` / ``campaigns.sg_send_at``: the SendGrid batch a campaign with a
  cancel window is staged under, and when SendGrid sends it.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "suppression_watermarks",
        sa.Column("list_type", sa.String(32), nullable=False),
        sa.Column("watermark", sa.BigInteger, nullable=False),
        sa.Column("run_end", sa.BigInteger, nullable=True),
        sa.Column("run_offset", sa.Integer, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("list_type", name="pk_suppression_watermarks"),
    )
    op.create_table(
        "suppression_pushes",
        sa.Column("subscriber_id", sa.Integer, nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("pushed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("subscriber_id", "target", name="pk_suppression_pushes"),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name="fk_suppression_pushes_subscriber_id_subscribers",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "suppression_push_queue",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("queued_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_suppression_push_queue"),
    )
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("sg_batch_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("sg_send_at", TS, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("sg_send_at")
        batch.drop_column("sg_batch_id")
    op.drop_table("suppression_push_queue")
    op.drop_table("suppression_pushes")
    op.drop_table("suppression_watermarks")
