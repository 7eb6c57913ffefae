"""A per-key sliding-window rate limit, in memory, with an injectable clock.

Used against bots on the forms that send email (``/subscribe``, ``/link``): one limiter keyed
by client IP answers 429 when passed; another keyed by the address silently skips the email
(so one inbox cannot be flooded from many IPs, and the answer still says nothing about
whether the address is known). State is per process: several web servers each count on their
own, which still bounds what one IP can do.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from datetime import datetime, timedelta

from mailer.clock import Clock


class RateLimiter:
    """At most ``limit`` hits per ``window`` for each key."""

    def __init__(
        self,
        limit: int,
        window: timedelta,
        clock: Clock,
        *,
        max_keys: int = 100_000,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one hit for ``key``; None when allowed, else seconds until the next is."""
        now = self.clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._prune(now)
                hits = self._hits[key] = deque()
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                wait = (hits[0] + self.window - now).total_seconds()
                return float(max(1, math.ceil(wait)))
            hits.append(now)
            return None

    def _prune(self, now: datetime) -> None:
        """Forget keys with no hit in the window (and, if still full, the oldest half)."""
        stale = [
            key for key, hits in self._hits.items() if not hits or now - hits[-1] >= self.window
        ]
        for key in stale:
            del self._hits[key]
        if len(self._hits) >= self.max_keys:
            oldest = sorted(self._hits, key=lambda k: self._hits[k][-1])
            for key in oldest[: len(oldest) // 2]:
                del self._hits[key]
