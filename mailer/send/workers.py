"""Worker processes for ``send --workers N``: N-1 forks of the sending loop share the campaign.

One Python process tops out at one core (the GIL) signing links, building request bodies and
reading rows. ``send_campaign`` prepares the campaign (the snapshot) once, then forks N-1
copies of itself, each with its own database connections and its own sending threads; they
claim from the same ledger as separate processes always could (SQLite serialises the writes,
PostgreSQL skips rows another worker is claiming), so nobody is sent anything twice.

What the processes share, made before the fork:

- the stop signal (a ``multiprocessing`` event): a refused API key in one stops all;
- on SQLite, whose turn it is to write (a ``multiprocessing`` lock): a process waiting for
  it wakes the moment it is free, where SQLite's busy handler sleeps up to 100 ms at a time.
  The lock only orders the writes, SQLite still guards them: a worker killed while holding
  it costs the others one wait of :data:`TURN_WAIT` seconds, after which they go on without.

Each child tells the parent over a pipe what it sent (``p <recipients>`` as it goes, for the
progress bar) and, at the end, ``d <json>`` with its counters and what stopped it. A child
that dies (SIGKILL, out of memory) leaves its batch in flight ``claimed``; the parent then
marks it ``unknown`` (its process is gone), never resent blindly.
"""

from __future__ import annotations

import contextlib
import functools
import json
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mailer.errors import MailerError, SendError
from mailer.send.batch_loop import Shared
from mailer.transports.errors import AuthFailed
from subscribers.db import is_sqlite

TURN_WAIT = 10.0  # seconds: as long as SQLite's busy timeout
_INHERITED: list[object] = []  # in a worker process: the parent's connection pools


class WorkerFailed(MailerError):
    """A worker process stopped on something that is not a sending outcome (a bug)."""


def can_fork() -> bool:
    """Whether worker processes can be started here (POSIX ``fork``)."""
    return hasattr(os, "fork")


class WriteTurn:
    """Whose turn it is to write, across processes and threads; gives up after a long wait."""

    def __init__(self, lock: Any, wait: float = TURN_WAIT) -> None:
        self._lock = lock
        self._wait = wait
        self._held = threading.local()
        self.broken = False  # a holder died: everyone goes on with SQLite's own locking

    def __enter__(self) -> object:
        got = False
        if not self.broken:
            got = self._lock.acquire(timeout=self._wait)
            self.broken = not got
        self._held.value = got
        return self

    def __exit__(self, *exc: object) -> None:
        if self._held.value:
            self._lock.release()


def shared_between_processes(shared: Shared) -> None:
    """Make ``shared``'s stop signal (and SQLite write turn) work across forked processes."""
    context = multiprocessing.get_context("fork")
    shared.stop = context.Event()
    if is_sqlite(shared.engine):
        shared.writing = WriteTurn(context.Lock())


@dataclass
class Worker:
    """A forked worker process and the parent's thread reading what it says."""

    pid: int
    listener: threading.Thread


def start_workers(shared: Shared, count: int, run: Callable[[Shared], None]) -> list[Worker]:
    """Fork ``count`` processes that each ``run(shared)`` (their own connections, counters)."""
    sys.stdout.flush()
    sys.stderr.flush()
    forked: list[tuple[int, int]] = []
    for _ in range(count):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which ends with os._exit
            code = 1
            try:
                os.close(read_fd)
                for fd in (fd for _, fd in forked):
                    os.close(fd)
                code = child_main(shared, run, functools.partial(os.write, write_fd))
            finally:
                os._exit(code)  # never back into the parent's code, nor its atexit handlers
        os.close(write_fd)
        forked.append((pid, read_fd))
    workers = []
    for pid, read_fd in forked:
        listener = threading.Thread(
            target=listen, args=(shared, pid, read_fd), name=f"worker-{pid}", daemon=True
        )
        listener.start()
        workers.append(Worker(pid, listener))
    return workers


def child_main(shared: Shared, run: Callable[[Shared], None], say: Callable[[bytes], Any]) -> int:
    """A worker process's life: fresh connections and counters, the loop, the last word."""
    code = 0

    def progress(recipients: int) -> None:
        try:
            say(f"p {recipients}\n".encode())
        except OSError:  # the parent is gone: everyone stops after their current batch
            shared.stop.set()

    try:
        # The parent's connections stay the parent's: referenced until os._exit, so that no
        # finaliser closes them from here (a closed PostgreSQL connection says goodbye to the
        # server on the socket the parent still uses).
        _INHERITED.append(shared.engine.pool)
        shared.engine.dispose(close=False)
        shared.lock = threading.Lock()
        shared.sent = shared.requests = 0
        shared.errors = []
        shared.progress = progress
        run(shared)
    except BaseException as error:  # reported to the parent, which raises it again
        shared.errors.append(error)
        code = 1
    report = {
        "sent": shared.sent,
        "requests": shared.requests,
        "errors": [describe_error(error) for error in shared.errors],
    }
    with contextlib.suppress(OSError):
        say(b"d " + json.dumps(report).encode() + b"\n")
    return code


def describe_error(error: BaseException) -> dict[str, str]:
    """What the parent needs to raise ``error`` again: its kind and its words."""
    if isinstance(error, AuthFailed):
        kind = "auth"
    elif isinstance(error, SendError):
        kind = "send"  # its outcome is in the ledger already (failed, paused)
    else:
        kind = "bug"
    return {"kind": kind, "message": f"{type(error).__name__}: {error}"}


def rebuild_error(pid: int, described: dict[str, str]) -> BaseException | None:
    """The parent's copy of a child's error; None for one the ledger already records."""
    kind, message = described["kind"], described["message"]
    if kind == "auth":
        return AuthFailed(message.partition(": ")[2])
    if kind == "send":
        return None
    return WorkerFailed(f"worker process {pid} stopped: {message}")


def listen(shared: Shared, pid: int, read_fd: int) -> None:
    """The parent's side of one child's pipe: progress as it comes, counters at the end."""
    with os.fdopen(read_fd, "rb") as pipe:
        for line in pipe:
            kind, _, rest = line.partition(b" ")
            if kind == b"p" and shared.progress is not None:
                shared.progress(int(rest))
            elif kind == b"d":
                report = json.loads(rest)
                with shared.lock:
                    shared.sent += report["sent"]
                    shared.requests += report["requests"]
                for described in report["errors"]:
                    error = rebuild_error(pid, described)
                    if error is not None:
                        shared.halt(error)


def join_workers(workers: list[Worker]) -> None:
    """Wait for every worker process to end (and the parent's reader of each)."""
    for worker in workers:
        os.waitpid(worker.pid, 0)
        worker.listener.join()
