"""Tables of the staff console, on the project's one ``MetaData`` (migration 0009).

- ``staff``: one row per account; ``password_hash`` is argon2id (``argon2-cffi``);
  ``active`` false once disabled (rows are never deleted: the audit log names them).
- ``staff_sessions``: one row per signed-in browser; the cookie holds a random token and
  the row its SHA-256, so a database dump holds no usable session. Disabling an account or
  resetting its password deletes its rows, which ends those sessions at once.
- ``staff_login_failures``: failed sign-ins by (email, client address) and time, counted
  for the lock-out; in the database so that every web process sees the same counts.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from subscribers.models import UtcDateTime, metadata

staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_changed_at", UtcDateTime, nullable=False),
    Column("last_login_at", UtcDateTime, nullable=True),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
    Index("ix_staff_sessions_staff_id", "staff_id"),
)

staff_login_failures = Table(
    "staff_login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_staff_login_failures_ip_at", "ip", "at"),
    Index("ix_staff_login_failures_email_ip_at", "email", "ip", "at"),
)
