"""The fake SendGrid server's account endpoints (split from :mod:`tests.fakesendgrid_rules`):
the suppression lists here, batch ids and scheduled sends in :mod:`tests.fakesendgrid_schedule`.

From ``tests/data/sendgrid/tsg_suppressions_v3.subset.json`` (the operations the project uses,
extracted from the official spec): ``GET /v3/suppression/{bounces,blocks,spam_reports,
invalid_emails,unsubscribes}`` with ``start_time`` / ``end_time`` (inclusive), ``limit``
(1-500) and ``offset``, newest first; ``POST /v3/asm/suppressions/global`` and ``POST
/v3/asm/groups/{group_id}/suppressions`` with a ``recipient_emails`` body checked against the
spec's ``SuppressionsRequest`` schema.

Tests seed SendGrid's side with :meth:`AdminState.seed` and read what was pushed with
:meth:`AdminState.pushed` (every POST's addresses, in order, so batching is visible).
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastjsonschema

from tests.fakesendgrid_schedule import ScheduleState

SPEC_PATH = Path(__file__).parent / "data" / "sendgrid" / "tsg_suppressions_v3.subset.json"
LISTS = ("bounces", "blocks", "spam_reports", "invalid_emails", "unsubscribes")
_GROUP = re.compile(r"^/v3/asm/groups/(\d+)/suppressions$")

Answer = tuple[int, Any]


def _spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return data


_SPEC = _spec()
_LIMIT = _SPEC["components"]["parameters"]["PaginationCommonLimit"]["schema"]
_REQUEST = fastjsonschema.compile(_SPEC["components"]["schemas"]["SuppressionsRequest"])


def _error(message: str, field_: str | None = None) -> dict[str, Any]:
    return {"errors": [{"message": message, "field": field_}]}


@dataclass
class AdminState:
    """SendGrid's side of the suppression lists, shared by the server's threads."""

    lists: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in LISTS}
    )
    posts: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (target, emails)
    gets: list[tuple[str, dict[str, int]]] = field(default_factory=list)  # (list, query)
    schedule: ScheduleState = field(default_factory=ScheduleState)  # batch ids, cancel window
    #: (list, n): hold the n-th read (1-based) of that list until :meth:`release`
    hold: tuple[str, int] | None = None
    held: threading.Event = field(default_factory=threading.Event, repr=False)
    _released: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def release(self) -> None:
        """Let a held read go on (the server's ``close`` releases it too)."""
        self._released.set()

    def seed(self, list_type: str, email: str, created: int, **extra: Any) -> None:
        """Put an entry on one of SendGrid's lists (as SendGrid would record it)."""
        entry: dict[str, Any] = {"created": created, "email": email}
        if list_type in ("bounces", "blocks"):
            entry.update(reason=extra.get("reason", "550 5.1.1 unknown user"), status="5.1.1")
        elif list_type == "invalid_emails":
            entry["reason"] = extra.get("reason", "Mail domain mentioned in email is unknown")
        elif list_type == "spam_reports":
            entry["ip"] = extra.get("ip", "10.63.202.100")
        with self._lock:
            self.lists[list_type].append(entry)

    def pushed(self, target: str = "global") -> list[tuple[str, ...]]:
        """The addresses of each POST to ``target`` (``global`` or ``group:<id>``), in order."""
        with self._lock:
            return [emails for where, emails in self.posts if where == target]

    def answer(self, method: str, raw_path: str, body: bytes) -> Answer:
        """The status and JSON payload for one request to a suppression endpoint."""
        parsed = urllib.parse.urlsplit(raw_path)
        path = parsed.path.rstrip("/")
        scheduled = self.schedule.answer(method, path, body)
        if scheduled is not None:
            return scheduled
        if method == "GET" and path.startswith("/v3/suppression/"):
            return self._list(path.rsplit("/", 1)[1], parsed.query)
        if method == "POST" and path == "/v3/asm/suppressions/global":
            return self._add("global", body)
        group = _GROUP.match(path)
        if method == "POST" and group:
            return self._add(f"group:{group.group(1)}", body)
        return 404, _error("Not found")

    def _list(self, list_type: str, query_text: str) -> Answer:
        if list_type not in LISTS:
            return 404, _error("Not found")
        query: dict[str, int] = {}
        for name, values in urllib.parse.parse_qs(query_text).items():
            try:
                query[name] = int(values[-1])
            except ValueError:
                return 400, _error(f"{name} must be an integer", name)
        limit = query.get("limit", _LIMIT["maximum"])
        if not _LIMIT["minimum"] <= limit <= _LIMIT["maximum"]:
            return 400, _error(f"limit must be between 1 and {_LIMIT['maximum']}", "limit")
        offset = query.get("offset", 0)
        if offset < 0:
            return 400, _error("offset must be 0 or more", "offset")
        start, end = query.get("start_time", 0), query.get("end_time", 2**62)
        with self._lock:
            self.gets.append((list_type, query))
            number = sum(1 for name, _ in self.gets if name == list_type)
        if self.hold == (list_type, number):
            self.held.set()
            self._released.wait(30)
        with self._lock:
            rows = [e for e in self.lists[list_type] if start <= e["created"] <= end]
        rows.sort(key=lambda e: (-e["created"], e["email"]))  # newest first, a stable order
        return 200, rows[offset : offset + limit]

    def _add(self, target: str, body: bytes) -> Answer:
        try:
            data = json.loads(body or b"")
            _REQUEST(data)
        except (ValueError, fastjsonschema.JsonSchemaValueException) as exc:
            return 400, _error(f"invalid request body: {exc}", "recipient_emails")
        emails = tuple(str(item) for item in data["recipient_emails"])
        with self._lock:
            self.posts.append((target, emails))
        return 201, {"recipient_emails": list(emails)}
