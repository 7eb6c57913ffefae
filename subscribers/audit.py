"""The append-only audit log: who did what to supporters' data, when, to how many rows.

``who`` is the OS user for the CLI or a description of the web request (``web:<ip>``);
``subject`` is a subscriber's ``public_id`` (never an address, so erasure leaves nothing
personal here). The database refuses UPDATE and DELETE on this table (triggers in 0001).
"""

from __future__ import annotations

import getpass
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, select

from subscribers.db import read_connection
from subscribers.models import audit_log


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    who: str
    action: str
    subject: str | None
    count: int
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "who": self.who,
            "action": self.action,
            "subject": self.subject,
            "count": self.count,
            "detail": self.detail,
        }


def os_user() -> str:
    """The person running the CLI, as the audit log names them."""
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):
        return "os:unknown"


def record_action(
    connection: Connection,
    *,
    who: str,
    action: str,
    count: int,
    detail: str = "",
    subject: str | None = None,
    source: str | None = None,
    now: datetime | None = None,
) -> None:
    """Append one entry, inside the caller's transaction (``source``: what it came through)."""
    connection.execute(
        audit_log.insert().values(
            at=now or datetime.now(UTC),
            who=who[:200],
            action=action,
            subject=subject,
            count=count,
            detail=detail,
            source=source,
        )
    )


def record_actions(
    connection: Connection,
    subjects: Collection[str],
    *,
    who: str,
    action: str,
    detail: str = "",
    source: str | None = None,
    now: datetime,
) -> None:
    """Append one entry per subject (``count`` 1 each) in one statement, inside the caller's
    transaction, in the order of the subjects' public ids. ``source`` is what the action came
    through (``campaign:12``: that campaign's unsubscribe link), or None."""
    if not subjects:
        return
    connection.execute(
        audit_log.insert(),
        [
            {
                "at": now,
                "who": who[:200],
                "action": action,
                "subject": subject,
                "count": 1,
                "detail": detail,
                "source": source,
            }
            for subject in sorted(subjects)
        ],
    )


def list_entries(
    engine: Engine,
    *,
    limit: int = 50,
    action: str | None = None,
    subject: str | None = None,
    before: int | None = None,
) -> list[AuditEntry]:
    """The newest entries first; ``before``: only entries older than that id (for paging)."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if before is not None:
        query = query.where(audit_log.c.id < before)
    if action:
        query = query.where(audit_log.c.action == action)
    if subject:
        query = query.where(audit_log.c.subject == subject)
    with read_connection(engine) as connection:
        rows = connection.execute(query).mappings().all()  # a Row's .count is tuple.count
    return [
        AuditEntry(r["id"], r["at"], r["who"], r["action"], r["subject"], r["count"], r["detail"])
        for r in rows
    ]
