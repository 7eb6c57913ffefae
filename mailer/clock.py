"""The clock the package injects wherever it needs the time: one alias, one default.

Every function that stamps or compares a time takes a ``Clock`` so tests can fix it;
``utc_now`` is the real one. (``subscribers`` keeps its own alias: it never imports ``mailer``.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)
