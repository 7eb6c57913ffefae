"""Add ``audit_log.source``: what an action came through, e.g. ``campaign:12``.

An unsubscribe made through a campaign's own link (or its one-click header) records the
campaign it came from, so ``newsletter report`` can count it; every other entry leaves it NULL.
Adding a nullable column touches no row, so the append-only triggers are not involved.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("source", sa.String(64), nullable=True))
    op.create_index("ix_audit_log_source", "audit_log", ["source"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_source", table_name="audit_log")
    op.drop_column("audit_log", "source")
