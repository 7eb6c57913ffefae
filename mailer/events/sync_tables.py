"""Tables of the suppression sync with SendGrid (migration 0007).

``suppression_watermarks``: per SendGrid list, everything created up to ``watermark`` (Unix
seconds) has been applied here; a run in progress holds its fixed ``run_end`` and the
``run_offset`` of the pages applied so far. ``suppression_pushes``: which subscriber was pushed
to which target (``global`` or ``group:<id>``), and when. The push queue of forgotten
addresses belongs to the subscribers package (:mod:`subscribers.pushqueue`).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table

from subscribers.models import UtcDateTime, metadata

watermarks = Table(
    "suppression_watermarks",
    metadata,
    Column("list_type", String(32), primary_key=True),
    Column("watermark", BigInteger, nullable=False),
    Column("run_end", BigInteger, nullable=True),
    Column("run_offset", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

pushes = Table(
    "suppression_pushes",
    metadata,
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("target", String(32), primary_key=True),
    Column("reason", String(16), nullable=False),
    Column("pushed_at", UtcDateTime, nullable=False),
)
