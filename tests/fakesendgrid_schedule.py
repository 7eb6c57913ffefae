"""The fake SendGrid server's batch ids and scheduled sends (the cancel window).

From the official specs in ``tests/data/sendgrid/`` (``tsg_mail_v3.json``,
``tsg_scheduled_sends_v3.json``): ``POST /v3/mail/batch`` makes a batch id, ``GET
/v3/mail/batch/{batch_id}`` validates one ("invalid batch id"), ``POST
/v3/user/scheduled_sends`` sets ``cancel`` or ``pause`` on a batch (request checked against the
spec's schema; 400 when the batch already has a status), ``DELETE
/v3/user/scheduled_sends/{batch_id}`` lifts it. ``mail/send`` requests are checked too: a
``batch_id`` must exist and ``send_at`` may be at most 72 hours ahead (the spec's ``send_at``
description). SendGrid does not guarantee a cancel or pause in the last 10 minutes before
``send_at``; the fake refuses one (400), so the client's "SendGrid has it" path is exercised.

``clock`` (Unix seconds) is the server's time: tests move it with their own fake clock.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastjsonschema

DATA = Path(__file__).parent / "data" / "sendgrid"
MAX_AHEAD = 72 * 3600
FREEZE = 10 * 60


def _request_schema() -> Any:
    spec = json.loads((DATA / "tsg_scheduled_sends_v3.json").read_text(encoding="utf-8"))
    post = spec["paths"]["/v3/user/scheduled_sends"]["post"]
    schema = dict(post["requestBody"]["content"]["application/json"]["schema"])
    properties = dict(schema["properties"])
    status = dict(properties["status"])
    target = status.pop("$ref").rsplit("/", 1)[1]
    properties["status"] = {**spec["components"]["schemas"][target], **status}
    schema["properties"] = properties
    return fastjsonschema.compile(schema)


_SCHEDULE_REQUEST = _request_schema()


def _error(message: str, field_: str | None = None) -> dict[str, Any]:
    return {"errors": [{"message": message, "field": field_}]}


@dataclass
class ScheduleState:
    """Batch ids, their ``send_at`` (from the mail sent under them) and their status."""

    clock: Callable[[], float] = time.time
    batches: dict[str, str | None] = field(default_factory=dict)  # batch id -> cancel/pause
    send_at: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, Any] | None:
        """The answer for a batch or scheduled-send request; None for any other path."""
        if method == "POST" and path == "/v3/mail/batch":
            batch_id = secrets.token_hex(16)
            with self._lock:
                self.batches[batch_id] = None
            return 201, {"batch_id": batch_id}
        if method == "GET" and path.startswith("/v3/mail/batch/"):
            batch_id = path.rsplit("/", 1)[1]
            if batch_id not in self.batches:
                return 400, _error("invalid batch id", "null")
            return 200, {"batch_id": batch_id}
        if method == "POST" and path == "/v3/user/scheduled_sends":
            return self._change(body)
        if method == "DELETE" and path.startswith("/v3/user/scheduled_sends/"):
            batch_id = path.rsplit("/", 1)[1]
            with self._lock:
                if self.batches.get(batch_id) is None:
                    return 404, _error("batch id not found")
                self.batches[batch_id] = None
            return 204, None
        return None

    def _change(self, body: bytes) -> tuple[int, Any]:
        try:
            data = json.loads(body or b"")
            _SCHEDULE_REQUEST(data)
        except (ValueError, fastjsonschema.JsonSchemaValueException) as exc:
            return 400, _error(f"invalid request body: {exc}")
        batch_id, status = data["batch_id"], data["status"]
        with self._lock:
            if batch_id not in self.batches:
                return 400, _error("invalid batch id", "batch_id")
            if self.batches[batch_id] is not None:
                return 400, _error(f"batch {batch_id} is already {self.batches[batch_id]}")
            send_at = self.send_at.get(batch_id)
            if send_at is not None and self.clock() > send_at - FREEZE:
                return 400, _error("cannot change a scheduled send within 10 minutes of send_at")
            self.batches[batch_id] = status
        return 201, {"batch_id": batch_id, "status": status}

    def check_mail(self, body: Any) -> list[dict[str, Any]]:
        """Errors for a ``mail/send`` body's ``batch_id`` and ``send_at``; records ``send_at``."""
        errors: list[dict[str, Any]] = []
        send_at, batch_id = body.get("send_at"), body.get("batch_id")
        if isinstance(send_at, int) and send_at > self.clock() + MAX_AHEAD:
            errors += _error("send_at cannot be more than 72 hours in the future", "send_at")[
                "errors"
            ]
        with self._lock:
            if batch_id is not None and batch_id not in self.batches:
                errors += _error("The batch id is not valid.", "batch_id")["errors"]
            elif batch_id is not None and isinstance(send_at, int) and not errors:
                self.send_at.setdefault(batch_id, send_at)
        return errors

    def delivered(self, batch_id: str) -> bool:
        """Whether SendGrid would deliver the batch: not cancelled (nor paused) by send_at."""
        return self.batches.get(batch_id) is None
