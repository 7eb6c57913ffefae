"""Running totals of every campaign, kept by the database itself (PostgreSQL only).

The report of a campaign still sending was counted over a million deliveries and their events
each time it was read (``bench/console.py``: 326 ms). On PostgreSQL, statement-level ``AFTER``
triggers with transition tables keep the totals as rows change, so no code path can forget
them; a statement of 1,000 rows costs one upsert per (campaign, state), not one per row:

- ``campaign_delivery_totals``: deliveries per (campaign, status), from ``deliveries``
  (INSERT, UPDATE, DELETE; a status that did not change costs nothing).
- ``campaign_event_totals``: events per (campaign, kind, effect, machine open), from
  ``events`` (INSERT; events are never updated or deleted by the application).
- ``campaign_people``: who opened (machine opens aside) or clicked, one row per (campaign,
  kind, subscriber), filled with ``INSERT … SELECT DISTINCT … ON CONFLICT DO NOTHING
  RETURNING``; the rows it inserted are added to ``campaign_people_totals``.

Each statement's upserts go in (campaign, key) order, and a counter row stays locked until
commit, so concurrent writers take the locks in one order and cannot deadlock: every
transaction of the ledger changes deliveries in one statement, or in states that ascend
(a claim: claimed and queued, then suppressed), and the settlements of a webhook batch are one
statement (``mailer.events.effects``). The upgrade backfills the totals from
the existing rows (with both tables locked against writes until the triggers exist); the
downgrade drops the triggers, functions and tables. SQLite gets nothing:
``mailer.events.report`` counts there.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PEOPLE_KINDS = "('open', 'click')"

_DELIVERY_DELTA = {
    "INSERT": "SELECT campaign_id, status, 1 AS d FROM new_rows",
    "DELETE": "SELECT campaign_id, status, -1 AS d FROM old_rows",
    "UPDATE": (
        "SELECT campaign_id, status, 1 AS d FROM new_rows "
        "UNION ALL SELECT campaign_id, status, -1 AS d FROM old_rows"
    ),
}


def _delivery_function(event: str) -> str:
    return f"""
CREATE FUNCTION campaign_totals_deliveries_{event.lower()}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO campaign_delivery_totals AS t (campaign_id, status, n)
    SELECT campaign_id, status, sum(d) FROM ({_DELIVERY_DELTA[event]}) AS delta
    WHERE campaign_id IS NOT NULL
    GROUP BY campaign_id, status
    HAVING sum(d) <> 0
    ORDER BY campaign_id, status
    ON CONFLICT (campaign_id, status) DO UPDATE SET n = t.n + EXCLUDED.n;
    RETURN NULL;
END
$$"""


_EVENTS_FUNCTION = f"""
CREATE FUNCTION campaign_totals_events_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO campaign_event_totals AS t (campaign_id, kind, effect, machine_open, n)
    SELECT campaign_id, kind, effect, coalesce(machine_open, false), count(*) FROM new_rows
    WHERE campaign_id IS NOT NULL
    GROUP BY campaign_id, kind, effect, coalesce(machine_open, false)
    ORDER BY campaign_id, kind, effect, coalesce(machine_open, false)
    ON CONFLICT (campaign_id, kind, effect, machine_open) DO UPDATE SET n = t.n + EXCLUDED.n;
    WITH added AS (
        INSERT INTO campaign_people (campaign_id, kind, subscriber_id)
        SELECT DISTINCT campaign_id, kind, subscriber_id FROM new_rows
        WHERE campaign_id IS NOT NULL AND subscriber_id IS NOT NULL
            AND machine_open IS NOT TRUE AND kind IN {PEOPLE_KINDS}
        ORDER BY campaign_id, kind, subscriber_id
        ON CONFLICT DO NOTHING
        RETURNING campaign_id, kind
    )
    INSERT INTO campaign_people_totals AS t (campaign_id, kind, n)
    SELECT campaign_id, kind, count(*) FROM added
    GROUP BY campaign_id, kind
    ORDER BY campaign_id, kind
    ON CONFLICT (campaign_id, kind) DO UPDATE SET n = t.n + EXCLUDED.n;
    RETURN NULL;
END
$$"""

_BACKFILL = (
    """INSERT INTO campaign_delivery_totals (campaign_id, status, n)
    SELECT campaign_id, status, count(*) FROM deliveries
    WHERE campaign_id IS NOT NULL GROUP BY campaign_id, status""",
    """INSERT INTO campaign_event_totals (campaign_id, kind, effect, machine_open, n)
    SELECT campaign_id, kind, effect, coalesce(machine_open, false), count(*) FROM events
    WHERE campaign_id IS NOT NULL
    GROUP BY campaign_id, kind, effect, coalesce(machine_open, false)""",
    f"""INSERT INTO campaign_people (campaign_id, kind, subscriber_id)
    SELECT DISTINCT campaign_id, kind, subscriber_id FROM events
    WHERE campaign_id IS NOT NULL AND subscriber_id IS NOT NULL
        AND machine_open IS NOT TRUE AND kind IN {PEOPLE_KINDS}""",
    """INSERT INTO campaign_people_totals (campaign_id, kind, n)
    SELECT campaign_id, kind, count(*) FROM campaign_people GROUP BY campaign_id, kind""",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        "campaign_delivery_totals",
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "status", name="pk_campaign_delivery_totals"),
    )
    op.create_table(
        "campaign_event_totals",
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("effect", sa.String(12), nullable=False),
        sa.Column("machine_open", sa.Boolean, nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint(
            "campaign_id", "kind", "effect", "machine_open", name="pk_campaign_event_totals"
        ),
    )
    op.create_table(
        "campaign_people",
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subscriber_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "kind", "subscriber_id", name="pk_campaign_people"),
    )
    op.create_table(
        "campaign_people_totals",
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "kind", name="pk_campaign_people_totals"),
    )
    # no write may fall between the backfill and the triggers (a send running meanwhile waits)
    op.execute("LOCK TABLE deliveries, events IN SHARE ROW EXCLUSIVE MODE")
    for statement in _BACKFILL:
        op.execute(statement)
    for event in ("INSERT", "UPDATE", "DELETE"):
        referencing = {
            "INSERT": "NEW TABLE AS new_rows",
            "DELETE": "OLD TABLE AS old_rows",
            "UPDATE": "NEW TABLE AS new_rows OLD TABLE AS old_rows",
        }[event]
        op.execute(_delivery_function(event))
        op.execute(
            f"CREATE TRIGGER campaign_totals_deliveries_{event.lower()} AFTER {event} "
            f"ON deliveries REFERENCING {referencing} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION campaign_totals_deliveries_{event.lower()}()"
        )
    op.execute(_EVENTS_FUNCTION)
    op.execute(
        "CREATE TRIGGER campaign_totals_events_insert AFTER INSERT ON events "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION campaign_totals_events_insert()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER campaign_totals_events_insert ON events")
    op.execute("DROP FUNCTION campaign_totals_events_insert()")
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER campaign_totals_deliveries_{event} ON deliveries")
        op.execute(f"DROP FUNCTION campaign_totals_deliveries_{event}()")
    for table in (
        "campaign_people_totals",
        "campaign_people",
        "campaign_event_totals",
        "campaign_delivery_totals",
    ):
        op.drop_table(table)
