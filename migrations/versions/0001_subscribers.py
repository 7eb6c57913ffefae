"""Subscriber store: subscribers, subscriptions, interests, consents, erasures, audit log.

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("email_key", sa.String(320), nullable=True),
        sa.Column("first_name", sa.String(200), nullable=True),
        sa.Column("last_name", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.Column("unsubscribed_at", TS, nullable=True),
        sa.Column("bounced_at", TS, nullable=True),
        sa.Column("complained_at", TS, nullable=True),
        sa.Column("forgotten_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_subscribers"),
        sa.UniqueConstraint("public_id", name="uq_subscribers_public_id"),
        sa.UniqueConstraint("email_key", name="uq_subscribers_email_key"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("subscriber_id", sa.Integer, nullable=False),
        sa.Column("list_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("unsubscribed_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("subscriber_id", "list_id", name="pk_subscriptions"),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            ondelete="CASCADE",
            name="fk_subscriptions_subscriber_id_subscribers",
        ),
    )
    op.create_index(
        "ix_subscriptions_list_id_status_subscriber_id",
        "subscriptions",
        ["list_id", "status", "subscriber_id"],
    )
    op.create_table(
        "subscriber_interests",
        sa.Column("subscriber_id", sa.Integer, nullable=False),
        sa.Column("interest_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("subscriber_id", "interest_id", name="pk_subscriber_interests"),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            ondelete="CASCADE",
            name="fk_subscriber_interests_subscriber_id_subscribers",
        ),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subscriber_id", sa.Integer, nullable=False),
        sa.Column("list_id", sa.String(64), nullable=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("wording", sa.Text, nullable=True),
        sa.Column("wording_sha256", sa.String(64), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consents"),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            ondelete="CASCADE",
            name="fk_consents_subscriber_id_subscribers",
        ),
    )
    op.create_index("ix_consents_subscriber_id", "consents", ["subscriber_id"])
    op.create_table(
        "erasures",
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("erased_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("address_hash", name="pk_erasures"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(32), nullable=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    _make_audit_log_append_only()


def _make_audit_log_append_only() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table("audit_log")
    op.drop_table("erasures")
    op.drop_table("consents")
    op.drop_table("subscriber_interests")
    op.drop_table("subscriptions")
    op.drop_table("subscribers")
