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
import json
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from tests.fakesendgrid_admin import AdminState
from tests.fakesendgrid_rules import (
    FAULTS,
    MAX_RECIPIENTS,
    MAX_SUBSTITUTION_BYTES,
    SCHEMA_PATH,
    FaultPlan,
    Handler,
    check_body,
    schema_validator,
    substitutions_size,
)

__all__ = [
    "FAULTS",
    "MAX_RECIPIENTS",
    "MAX_SUBSTITUTION_BYTES",
    "SCHEMA_PATH",
    "FakeSendGrid",
    "FaultPlan",
    "Received",
    "check_body",
    "main",
    "schema_validator",
    "substitutions_size",
]


@dataclass(frozen=True)
class Received:
    """One request the server accepted (202) or took in sandbox mode (200)."""

    number: int
    message_id: str
    delivery_ids: tuple[str, ...]
    sandbox: bool
    body: Any = field(repr=False)


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
        self.admin = AdminState()  # SendGrid's suppression lists: seed them, read what was pushed
        self._path_faults = {prefix: list(script) for prefix, script in plan.per_path}
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
        self.admin.release()
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
                Handler(conn, address, self)  # type: ignore[arg-type]
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

    def path_fault(self, path: str) -> str | None:
        """The next scripted fault for requests to ``path`` (``FaultPlan.per_path``), if any."""
        with self._lock:
            for prefix, script in self._path_faults.items():
                if path.startswith(prefix) and script:
                    fault = script.pop(0)
                    self.faults.append(f"{prefix}:{fault}")
                    return fault
        return None

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
