"""How the fake SendGrid server answers, what it checks and which faults it injects (split
from :mod:`tests.fakesendgrid`, which imports everything here).

:func:`check_body` answers like SendGrid's ``mail/send``: the official request schema
(``tests/data/sendgrid/``, compiled once with fastjsonschema) and the rules it leaves out.
:class:`FaultPlan` is a seeded schedule of faults, or an explicit script; :class:`Handler`
answers one request.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastjsonschema
import orjson

if TYPE_CHECKING:
    from tests.fakesendgrid import FakeSendGrid

SCHEMA_PATH = Path(__file__).parent / "data" / "sendgrid" / "mail_send_request.schema.json"
MAX_RECIPIENTS = 1000
MAX_SUBSTITUTION_BYTES = 10_000
FAULTS = ("ok", "429", "403", "500", "502", "503", "504", "drop", "accept_then_drop", "slow")
HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"

_validator_lock = threading.Lock()
_validator: Any = None


def schema_validator() -> Any:
    """The official request schema, compiled once per process."""
    global _validator
    with _validator_lock:
        if _validator is None:
            schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
            _validator = fastjsonschema.compile(schema)
        return _validator


def _field_name(path: Sequence[str] | None, name: str) -> str:
    parts = list(path or [])
    if parts and parts[0] == "data":
        parts = parts[1:]
    return ".".join(parts) if parts else name.removeprefix("data.")


def sg_error(message: str, field_: str | None) -> dict[str, Any]:
    return {"message": message, "field": field_, "help": HELP}


def substitutions_size(values: Any) -> int:
    """Bytes of the substitutions as JSON, or a cheap upper bound when far under the limit."""
    bound = 6 * (sum(map(len, values)) + sum(map(len, values.values())) + len(values)) + 2
    if bound < MAX_SUBSTITUTION_BYTES:
        return bound
    return len(json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def check_body(body: Any) -> list[dict[str, Any]]:
    """SendGrid-shaped errors for a request body; empty when it would be accepted."""
    try:
        schema_validator()(body)
    except fastjsonschema.JsonSchemaValueException as exc:
        return [sg_error(exc.message, _field_name(exc.path, exc.name or ""))]
    errors = []
    personalizations = body["personalizations"]
    if not personalizations:
        errors.append(sg_error("The personalizations field is required.", "personalizations"))
    recipients = sum(len(p.get(kind, [])) for p in personalizations for kind in ("to", "cc", "bcc"))
    if recipients > MAX_RECIPIENTS:
        errors.append(
            sg_error(
                "The total number of recipients (to, cc and bcc) must be 1000 or fewer.",
                "personalizations",
            )
        )
    for index, item in enumerate(personalizations):
        if not item.get("to"):
            errors.append(sg_error("The to array is required.", f"personalizations.{index}.to"))
        if substitutions_size(item.get("substitutions", {})) >= MAX_SUBSTITUTION_BYTES:
            errors.append(
                sg_error(
                    "The substitutions of a personalization must be under 10,000 bytes.",
                    f"personalizations.{index}.substitutions",
                )
            )
    template = body.get("template_id")
    types = [part["type"] for part in body.get("content", [])]
    if not template and not types:
        errors.append(
            sg_error("Unless a valid template_id is provided, content is required.", "content")
        )
    if "text/plain" in types and types.index("text/plain") != 0:
        errors.append(sg_error("text/plain must be the first content type.", "content"))
    if "text/html" in types and types.index("text/html") != ("text/plain" in types):
        errors.append(sg_error("text/html must follow text/plain, before other types.", "content"))
    has_subject = body.get("subject") or all(p.get("subject") for p in personalizations)
    if not template and not has_subject:
        errors.append(sg_error("The subject is required.", "subject"))
    return errors


@dataclass(frozen=True)
class FaultPlan:
    """A seeded schedule of faults, or an explicit ``script`` (then ``ok`` for ever)."""

    seed: int = 0
    rate429: float = 0.0
    rate503: float = 0.0
    rate500: float = 0.0
    refuse: float = 0.0
    drop: float = 0.0
    accept_then_drop: float = 0.0
    slow: float = 0.0
    script: tuple[str, ...] = ()
    slow_seconds: float = 1.0
    refuse_seconds: float = 0.1
    #: (path prefix, script): the faults for requests to that path, in order, before the
    #: connection's own (e.g. ``(("/v3/suppression/bounces", ("429", "500")),)``)
    per_path: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        for name in (*self.script, *(f for _, script in self.per_path for f in script)):
            if name not in (*FAULTS, "refuse"):
                raise ValueError(f"unknown fault {name!r}")

    def schedule(self) -> Iterator[str]:
        """The fault for each arrival, in order."""
        yield from self.script
        if self.script:
            yield from itertools.repeat("ok")
            return
        rng = random.Random(self.seed)
        table = [
            ("429", self.rate429),
            ("503", self.rate503),
            ("500", self.rate500),
            ("refuse", self.refuse),
            ("drop", self.drop),
            ("accept_then_drop", self.accept_then_drop),
            ("slow", self.slow),
        ]
        while True:
            draw = rng.random()
            for name, rate in table:
                if draw < rate:
                    yield name
                    break
                draw -= rate
            else:
                yield "ok"

    @classmethod
    def from_json(cls, text: str) -> FaultPlan:
        data = json.loads(text)
        if isinstance(data, list):
            return cls(script=tuple(str(item) for item in data))
        if "script" in data:
            data["script"] = tuple(data["script"])
        if "per_path" in data:
            data["per_path"] = tuple(
                (str(prefix), tuple(script)) for prefix, script in dict(data["per_path"]).items()
            )
        return cls(**data)


def parse_json(raw: bytes) -> Any:
    """``json.loads``, the quick way first: the server shares the benchmark's CPU cores, and
    orjson parses a 1,000-recipient body in a third of the time. Anything orjson refuses
    (NaN, lone surrogates, huge integers) gets the standard library's answer."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


class Handler(BaseHTTPRequestHandler):
    """One connection's request, answered like SendGrid (or with the fault drawn for it)."""

    server: FakeSendGrid  # type: ignore[assignment]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the records, not a log."""

    def _answer(self, status: int, payload: Any = None, headers: Mapping[str, str] = {}) -> None:
        data = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def do_GET(self) -> None:
        self.do_POST()

    def do_DELETE(self) -> None:
        self.do_POST()

    def _authorised(self) -> bool:
        srv = self.server
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[7:]:
            return srv.api_key is None or auth[7:] == srv.api_key
        return False

    def _admin(self, raw: bytes, fault: str) -> None:
        """A suppression endpoint (:mod:`tests.fakesendgrid_admin`), or its injected fault."""
        srv = self.server
        fault = srv.path_fault(self.path) or fault
        if fault in ("drop", "accept_then_drop"):
            self.close_connection = True
            return
        if not self._authorised():
            self._answer(401, {"errors": [sg_error("authorization required", None)]})
            return
        if fault in ("429", "403", "500", "502", "503", "504"):
            self._answer(int(fault), {"errors": [sg_error(f"fault {fault}", None)]}, srv.limits())
            return
        status, payload = srv.admin.answer(self.command, self.path, raw)
        self._answer(status, payload, srv.limits())

    def do_POST(self) -> None:
        srv = self.server
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        number, fault = srv.arrive(self.connection)
        if srv.latency:
            srv.closing.wait(srv.latency)
        if self.path.rstrip("/") != "/v3/mail/send":
            self._admin(raw, fault)
            return
        if fault == "drop":
            self.close_connection = True
            return
        auth = self.headers.get("Authorization", "")
        if (
            not auth.startswith("Bearer ")
            or not auth[7:]
            or (srv.api_key is not None and auth[7:] != srv.api_key)
        ):
            self._answer(
                401,
                {
                    "errors": [
                        {
                            "field": None,
                            "message": "The provided authorization grant is invalid, "
                            "expired, or revoked",
                            "help": None,
                        }
                    ]
                },
            )
            return
        if fault in ("429", "403", "500", "502", "503", "504"):
            status = int(fault)
            self._answer(status, {"errors": [sg_error(f"fault {fault}", None)]}, srv.limits())
            return
        media_type = self.headers.get("Content-Type", "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            self._answer(
                415, {"errors": [sg_error("Content-Type should be application/json", None)]}
            )
            return
        try:
            body = parse_json(raw)
        except ValueError:
            self._answer(400, {"errors": [sg_error("Bad Request", None)]})
            return
        errors = check_body(body) if srv.should_validate(number) else []
        errors = errors or srv.admin.schedule.check_mail(body)
        if errors:
            self._answer(400, {"errors": errors})
            return
        srv.maybe_hold(number, body)
        record = srv.record(number, body)
        if fault == "accept_then_drop":
            self.close_connection = True
            return
        if fault == "slow":
            srv.closing.wait(srv.plan.slow_seconds)
        if record.sandbox:
            self._answer(200, None)
        else:
            self._answer(202, None, {"X-Message-Id": record.message_id, **srv.limits()})
