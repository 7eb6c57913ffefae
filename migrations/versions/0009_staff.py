"""The staff console: accounts, sessions and failed sign-ins (``mailer.web.staff.tables``).

Three new tables, and indexes that let the console's campaign page and report of a
1,000,000-recipient campaign be read from the indexes alone (index-only scans;
``bench/console.py``): deliveries by state; events by kind, effect and machine open; the
distinct people who opened or clicked (machine opens told apart: the index of 0003 on
``campaign_id, kind, subscriber_id`` gains ``machine_open`` and is replaced); clicks per link;
clicks and opens per day. The downgrade drops them all and puts 0003's index back.

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

    op.create_index("ix_deliveries_campaign_id_status", "deliveries", ["campaign_id", "status"])
    op.create_index(
        "ix_events_campaign_id_kind_effect_machine_open",
        "events",
        ["campaign_id", "kind", "effect", "machine_open"],
    )
    op.drop_index("ix_events_campaign_id_kind_subscriber_id", table_name="events")
    op.create_index(
        "ix_events_campaign_id_kind_subscriber_id_machine_open",
        "events",
        ["campaign_id", "kind", "subscriber_id", "machine_open"],
    )
    op.create_index(
        "ix_events_campaign_id_kind_url_subscriber_id",
        "events",
        ["campaign_id", "kind", "url", "subscriber_id"],
    )
    op.create_index(
        "ix_events_campaign_id_kind_occurred_at", "events", ["campaign_id", "kind", "occurred_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_events_campaign_id_kind_occurred_at", table_name="events")
    op.drop_index("ix_events_campaign_id_kind_url_subscriber_id", table_name="events")
    op.drop_index("ix_events_campaign_id_kind_subscriber_id_machine_open", table_name="events")
    op.create_index(
        "ix_events_campaign_id_kind_subscriber_id",
        "events",
        ["campaign_id", "kind", "subscriber_id"],
    )
    op.drop_index("ix_events_campaign_id_kind_effect_machine_open", table_name="events")
    op.drop_index("ix_deliveries_campaign_id_status", table_name="deliveries")
    op.drop_table("staff_login_failures")
    op.drop_table("staff_sessions")
    op.drop_table("staff")
