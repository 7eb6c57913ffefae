"""A SendGrid-compatible ``POST /v3/mail/send`` server on 127.0.0.1, for tests and benchmarks.

It answers like SendGrid: 401 without ``Authorization: Bearer …`` (or with the wrong key when
one is set), 400 with SendGrid's error shape when the body fails the official request schema
(``tests/data/sendgrid/``, compiled once) or the rules the schema leaves out, 202 with
``X-Message-Id`` and rate-limit headers, 200 in sandbox mode, 415 when the ``Content-Type``
is not JSON (``application/json``, parameters such as ``charset`` allowed). It records what it
accepted and injects faults from a seeded :class:`FaultPlan` or an explicit script:

==================  =====================================================================
``ok``              answer normally
``429``             rate limited; ``X-RateLimit-Reset`` one second ahead
``500`` ``502``     gateway-ish errors (maybe accepted, from the client's side)
``503`` ``504``
``403``             forbidden
``drop``            read the request, then close without answering (nothing recorded)
``accept_then_drop``  record the request as accepted, then close without answering
``slow``            wait ``slow_seconds`` before answering normally (recorded)
``refuse``          stop listening for ``refuse_seconds``: connections are truly refused
==================  =====================================================================

``refuse`` is drawn before a connection arrives: the listener is closed at once (the OS then
answers new connections with a reset, so the client sees "connection refused") and reopened on
the same port ``refuse_seconds`` after the requests in flight have been answered. Closing a
listener resets connections still waiting in its backlog, which a client sees as a reset after
sending (maybe accepted); with one client at a time the backlog is empty.

``hold_at=N`` holds request number N (1-based): the server writes ``hold_marker`` (if given)
and sets :attr:`FakeSendGrid.held`, then waits until :meth:`FakeSendGrid.release` (or the
file ``<hold_marker>.release`` appears) before answering it normally.

``latency`` (seconds, ``--latency-ms`` on the command line) delays every answer by a fixed
time, as the real API's round trip would: a loopback server answering at once flatters a
client that makes one request per recipient.

Run as ``python -m tests.fakesendgrid --port 0 [--record FILE.jsonl] [--faults JSON]
[--hold-marker PATH] [--latency-ms N]``: it prints ``http://127.0.0.1:PORT`` and serves
until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import random
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, BinaryIO

import fastjsonschema

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


def _error(message: str, field_: str | None) -> dict[str, Any]:
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
        return [_error(exc.message, _field_name(exc.path, exc.name or ""))]
    errors = []
    personalizations = body["personalizations"]
    if not personalizations:
        errors.append(_error("The personalizations field is required.", "personalizations"))
    recipients = sum(len(p.get(kind, [])) for p in personalizations for kind in ("to", "cc", "bcc"))
    if recipients > MAX_RECIPIENTS:
        errors.append(
            _error(
                "The total number of recipients (to, cc and bcc) must be 1000 or fewer.",
                "personalizations",
            )
        )
    for index, item in enumerate(personalizations):
        if not item.get("to"):
            errors.append(_error("The to array is required.", f"personalizations.{index}.to"))
        if substitutions_size(item.get("substitutions", {})) >= MAX_SUBSTITUTION_BYTES:
            errors.append(
                _error(
                    "The substitutions of a personalization must be under 10,000 bytes.",
                    f"personalizations.{index}.substitutions",
                )
            )
    template = body.get("template_id")
    types = [part["type"] for part in body.get("content", [])]
    if not template and not types:
        errors.append(
            _error("Unless a valid template_id is provided, content is required.", "content")
        )
    if "text/plain" in types and types.index("text/plain") != 0:
        errors.append(_error("text/plain must be the first content type.", "content"))
    if "text/html" in types and types.index("text/html") != ("text/plain" in types):
        errors.append(_error("text/html must follow text/plain, before other types.", "content"))
    has_subject = body.get("subject") or all(p.get("subject") for p in personalizations)
    if not template and not has_subject:
        errors.append(_error("The subject is required.", "subject"))
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

    def __post_init__(self) -> None:
        for name in self.script:
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
        return cls(**data)


@dataclass(frozen=True)
class Received:
    """One request the server accepted (202) or took in sandbox mode (200)."""

    number: int
    message_id: str
    delivery_ids: tuple[str, ...]
    sandbox: bool
    body: Any = field(repr=False)


class _Handler(BaseHTTPRequestHandler):
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

    def do_POST(self) -> None:
        srv = self.server
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        number, fault = srv.arrive(self.connection)
        if srv.latency:
            srv.closing.wait(srv.latency)
        if fault == "drop":
            self.close_connection = True
            return
        if self.path.rstrip("/") != "/v3/mail/send":
            self._answer(404, {"errors": [_error("Not found", None)]})
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
            self._answer(status, {"errors": [_error(f"fault {fault}", None)]}, srv.limits())
            return
        media_type = self.headers.get("Content-Type", "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            self._answer(415, {"errors": [_error("Content-Type should be application/json", None)]})
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._answer(400, {"errors": [_error("Bad Request", None)]})
            return
        errors = check_body(body) if srv.should_validate(number) else []
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


class FakeSendGrid:
    """The server; use as a context manager or call :meth:`close`."""

    def __init__(
        self,
        *,
        plan: FaultPlan = FaultPlan(),
        api_key: str | None = None,
        port: int = 0,
        hold_at: int | None = None,
        hold_marker: Path | None = None,
        record_file: Path | None = None,
        keep_bodies: bool = True,
        validate_every: int = 1,
        latency: float = 0.0,
    ) -> None:
        self.plan = plan
        self.latency = latency
        self.api_key = api_key
        self.hold_at = hold_at
        self.hold_marker = hold_marker
        self.keep_bodies = keep_bodies
        self.validate_every = max(1, validate_every)
        self.received: list[Received] = []
        self.requests = 0
        self.faults: list[str] = []
        self.held = threading.Event()
        self.closing = threading.Event()
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._schedule = plan.schedule()
        self._next_fault: str | None = None
        self._threads: set[threading.Thread] = set()
        self._fault_by_conn: dict[socket.socket, str] = {}
        self._connections: set[socket.socket] = set()
        self._record: BinaryIO | None = record_file.open("ab") if record_file else None
        schema_validator()
        self._listener = self._listen(port)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._reopen_at: float | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._prepare_next()
        self._acceptor = threading.Thread(
            target=self._accept_loop, name="fakesendgrid", daemon=True
        )
        self._acceptor.start()

    # -- life cycle -------------------------------------------------------------------------

    @staticmethod
    def _listen(port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        return sock

    def __enter__(self) -> FakeSendGrid:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting, release held requests, close every socket and join the threads."""
        self.closing.set()
        self._released.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        self._acceptor.join(5)
        self._wake_r.close()
        self._wake_w.close()
        with self._lock:
            connections = list(self._connections)
            threads = list(self._threads)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(5)
        if self._listener.fileno() >= 0:
            self._listener.close()
        if self._record is not None:
            self._record.close()
            self._record = None

    def release(self) -> None:
        """Let a held request go on."""
        self._released.set()

    # -- accepting connections ----------------------------------------------------------------

    def _draw(self) -> str:
        with self._lock:
            return next(self._schedule)

    def _prepare_next(self) -> None:
        """Draw the fate of the next connection; a refusal closes the listener at once."""
        fault = self._draw()
        if fault == "refuse":
            with self._lock:
                self.faults.append("refuse")
            self._listener.close()
            self._reopen_at = time.monotonic() + self.plan.refuse_seconds
        else:
            self._next_fault = fault

    def _reopen(self) -> None:
        for _ in range(50):
            try:
                self._listener = self._listen(self.port)
                self._reopen_at = None
                return
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"could not listen on port {self.port} again")

    def _accept_loop(self) -> None:
        while not self.closing.is_set():
            if self._reopen_at is not None:
                with self._lock:
                    busy = bool(self._connections)
                if busy:  # the window starts once the requests in flight are answered
                    self._reopen_at = time.monotonic() + self.plan.refuse_seconds
                    self.closing.wait(0.002)
                    continue
                if self.closing.wait(max(0.0, self._reopen_at - time.monotonic())):
                    break
                self._reopen()
                self._prepare_next()
                continue
            ready, _, _ = select.select([self._listener, self._wake_r], [], [], 1.0)
            if self._listener not in ready:
                continue
            try:
                conn, address = self._listener.accept()
            except OSError:
                continue
            thread = threading.Thread(target=self._serve, args=(conn, address), daemon=True)
            with self._lock:
                self._threads.add(thread)
                self._connections.add(conn)
                self._fault_by_conn[conn] = self._next_fault or "ok"
            self._next_fault = None
            # draw (and, for a refusal, close the listener) before serving: once answered, the
            # client's next connection must not slip into the backlog of a listener about to close
            self._prepare_next()
            thread.start()
        self._listener.close()

    def _serve(self, conn: socket.socket, address: Any) -> None:
        conn.settimeout(30)
        try:
            with contextlib.suppress(OSError):
                _Handler(conn, address, self)  # type: ignore[arg-type]
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            with self._lock:
                self._connections.discard(conn)
                self._fault_by_conn.pop(conn, None)
                self._threads.discard(threading.current_thread())

    # -- called by the handler ----------------------------------------------------------------

    def arrive(self, conn: socket.socket) -> tuple[int, str]:
        """Count a request and return its number and the fault drawn for its connection."""
        with self._lock:
            self.requests += 1
            number = self.requests
            fault = self._fault_by_conn.pop(conn, "ok")
            self.faults.append(fault)
        return number, fault

    def should_validate(self, number: int) -> bool:
        return number % self.validate_every == 0 or self.validate_every == 1

    def limits(self) -> dict[str, str]:
        now = int(time.time())
        return {
            "X-RateLimit-Limit": "600",
            "X-RateLimit-Remaining": str(max(0, 599 - self.requests % 600)),
            "X-RateLimit-Reset": str(now + 1),
        }

    def maybe_hold(self, number: int, body: Any) -> None:
        if self.hold_at != number:
            return
        if self.hold_marker is not None:
            ids = [p.get("custom_args", {}).get("delivery_id") for p in body["personalizations"]]
            partial = self.hold_marker.with_name(self.hold_marker.name + ".tmp")
            partial.write_text(json.dumps({"request": number, "delivery_ids": ids}))
            partial.replace(self.hold_marker)
        self.held.set()
        release_file = (
            self.hold_marker.with_name(self.hold_marker.name + ".release")
            if self.hold_marker
            else None
        )
        while not self._released.wait(0.01):
            if release_file is not None and release_file.exists():
                break

    def record(self, number: int, body: Any) -> Received:
        personalizations = body["personalizations"]
        ids = tuple(str(p.get("custom_args", {}).get("delivery_id", "")) for p in personalizations)
        sandbox = bool(body.get("mail_settings", {}).get("sandbox_mode", {}).get("enable"))
        item = Received(
            number=number,
            message_id=f"fake{number:08d}{self.port:05d}",
            delivery_ids=ids,
            sandbox=sandbox,
            body=body if self.keep_bodies else None,
        )
        with self._lock:
            self.received.append(item)
            if self._record is not None:
                line = {
                    "request": number,
                    "message_id": item.message_id,
                    "sandbox": sandbox,
                    "custom_args": body.get("custom_args", {}),
                    "delivery_ids": list(ids),
                }
                self._record.write(json.dumps(line).encode("utf-8") + b"\n")
                self._record.flush()
        return item

    # -- what tests read ----------------------------------------------------------------------

    def accepted(self) -> list[Received]:
        """Requests accepted for delivery (sandbox requests excluded), in order."""
        with self._lock:
            return [item for item in self.received if not item.sandbox]

    def accepted_delivery_ids(self) -> list[str]:
        """Every delivery id accepted for delivery, in order, duplicates kept."""
        return [i for item in self.accepted() for i in item.delivery_ids]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakesendgrid", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", type=Path, help="append accepted requests as JSON lines")
    parser.add_argument("--faults", default="{}", help="FaultPlan as JSON, or a list script")
    parser.add_argument("--api-key", default=None, help="the only bearer key accepted")
    parser.add_argument("--hold-marker", type=Path, default=None)
    parser.add_argument("--hold-at", type=int, default=None, help="request number to hold")
    parser.add_argument("--validate-every", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before each answer")
    args = parser.parse_args(argv)
    hold_at = args.hold_at if args.hold_at is not None else (1 if args.hold_marker else None)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with FakeSendGrid(
        plan=FaultPlan.from_json(args.faults),
        api_key=args.api_key,
        port=args.port,
        hold_at=hold_at,
        hold_marker=args.hold_marker,
        record_file=args.record,
        keep_bodies=False,
        validate_every=args.validate_every,
        latency=args.latency_ms / 1000,
    ) as server:
        print(server.url, flush=True)
        while not stop.wait(0.2):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
