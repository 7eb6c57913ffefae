"""Sign-off: ``proofs`` and ``approvals``, and ``campaigns.email_hash``.

A proof records who asked for which version of an issue's email (its hash) to go to whom; an
approval binds a person's sign-off to that hash, with a manifest of what the email was rendered
from (so a refusal can say what changed since) and its plain-text part (so the console can show
a text diff against the approved version). A campaign records the hash of the email it
froze at start. New tables and a nullable column: no row is touched.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("email_hash", sa.String(64), nullable=True))
    op.create_table(
        "proofs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("issue_id", sa.String(80), nullable=False),
        sa.Column("ref", sa.String(40), nullable=False),
        sa.Column("email_hash", sa.String(64), nullable=False),
        sa.Column("recipients", sa.JSON, nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("transport", sa.String(32), nullable=False),
        sa.Column("embargo_until", TS, nullable=True),
        sa.Column("message_id", sa.String(160), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_proofs"),
        sa.UniqueConstraint("ref", name="uq_proofs_ref"),
    )
    op.create_index("ix_proofs_issue_id", "proofs", ["issue_id"])
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("issue_id", sa.String(80), nullable=False),
        sa.Column("email_hash", sa.String(64), nullable=False),
        sa.Column("approver", sa.String(200), nullable=False),
        sa.Column("manifest", sa.JSON, nullable=False),
        sa.Column("text_part", sa.Text, nullable=True),
        sa.Column("approved_at", TS, nullable=False),
        sa.Column("withdrawn_at", TS, nullable=True),
        sa.Column("withdrawn_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_approvals"),
    )
    op.create_index("ix_approvals_issue_id", "approvals", ["issue_id"])


def downgrade() -> None:
    op.drop_index("ix_approvals_issue_id", table_name="approvals")
    op.drop_table("approvals")
    op.drop_index("ix_proofs_issue_id", table_name="proofs")
    op.drop_table("proofs")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("email_hash")
