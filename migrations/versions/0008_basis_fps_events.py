"""Lawful basis per subscription, Fundraising Preference Service suppressions, event detail.

- ``subscriptions`` and ``consents`` get the lawful basis (``consent`` or
  ``charitable_soft_opt_in``) and, for the soft opt-in, what the person was doing when their
  details were collected and the evidence that an opt-out was offered then (a reference to the
  form or script, and its date). Existing rows are ``consent``: they came from the signup form,
  staff or an import that asserted consent.
- ``suppressed_addresses``: keyed hashes (like ``erasures``) of addresses suppressed at the
  request of the Fundraising Preference Service or of the person, whether or not they were
  subscribers, with the date of the request and the date it was actioned.
- ``events`` keeps SendGrid's ``bounce_classification`` and ``sg_machine_open``.

Adding columns touches no row of ``audit_log``, so its append-only triggers are not involved.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _basis_columns(default: bool) -> list[sa.Column[object]]:
    basis = (
        sa.Column("basis", sa.String(32), nullable=False, server_default="consent")
        if default
        else sa.Column("basis", sa.String(32), nullable=True)
    )
    return [
        basis,
        sa.Column("basis_context", sa.Text, nullable=True),
        sa.Column("opt_out_evidence", sa.Text, nullable=True),
        sa.Column("opt_out_offered_on", sa.Date, nullable=True),
    ]


def upgrade() -> None:
    for column in _basis_columns(default=True):
        op.add_column("subscriptions", column)
    for column in _basis_columns(default=False):
        op.add_column("consents", column)
    op.create_table(
        "suppressed_addresses",
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("requested_on", sa.Date, nullable=False),
        sa.Column("reference", sa.String(100), nullable=True),
        sa.Column("actioned_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("address_hash", name="pk_suppressed_addresses"),
    )
    op.add_column("events", sa.Column("bounce_classification", sa.String(64), nullable=True))
    op.add_column("events", sa.Column("machine_open", sa.Boolean, nullable=True))


def downgrade() -> None:
    op.drop_column("events", "machine_open")
    op.drop_column("events", "bounce_classification")
    op.drop_table("suppressed_addresses")
    for table in ("consents", "subscriptions"):
        for name in ("opt_out_offered_on", "opt_out_evidence", "basis_context", "basis"):
            op.drop_column(table, name)
