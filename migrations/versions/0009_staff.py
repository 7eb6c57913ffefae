"""The staff console: accounts, sessions and failed sign-ins (``mailer.web.staff.tables``).

Three new tables, and two indexes on ``events`` that let the console's report of a large
campaign be read from the index alone (``bench/console.py``): its counts by kind and effect,
and its clicks and opens per day. The downgrade drops them all.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("password_changed_at", TS, nullable=False),
        sa.Column("last_login_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_staff"),
        sa.UniqueConstraint("email", name="uq_staff_email"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("seen_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_staff_sessions"),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name="fk_staff_sessions_staff_id_staff",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_table(
        "staff_login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff_login_failures"),
    )
    op.create_index("ix_staff_login_failures_ip_at", "staff_login_failures", ["ip", "at"])
    op.create_index(
        "ix_staff_login_failures_email_ip_at", "staff_login_failures", ["email", "ip", "at"]
    )

    op.create_index(
        "ix_events_campaign_id_kind_effect", "events", ["campaign_id", "kind", "effect"]
    )
    op.create_index(
        "ix_events_campaign_id_kind_occurred_at", "events", ["campaign_id", "kind", "occurred_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_events_campaign_id_kind_occurred_at", table_name="events")
    op.drop_index("ix_events_campaign_id_kind_effect", table_name="events")
    op.drop_table("staff_login_failures")
    op.drop_table("staff_sessions")
    op.drop_table("staff")
