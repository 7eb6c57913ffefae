"""Output for the cron entry points (``send --due``, ``suppressions sync --due``).

Every line they print starts with the UTC time it was written (``2026-12-03T09:00:00Z``), so a
mail from cron or a log file shows when each thing happened; JSON on stdout is left as it is
(scripts parse it), but its stderr lines are stamped too.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

import click

from mailer.clock import utc_now

if TYPE_CHECKING:
    from mailer.send.sender import SendReport


def stamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


class StampedLines(io.TextIOBase):
    """A text stream that starts every line written to ``target`` with the time."""

    def __init__(self, target: TextIO, clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__()
        self._target = target
        self._clock = clock
        self._at_line_start = True
        self._encoding = getattr(target, "encoding", None) or "utf-8"

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("StampedLines takes text")
        out = []
        for piece in text.splitlines(keepends=True):
            if self._at_line_start:
                out.append(f"{stamp(self._clock())} ")
            out.append(piece)
            self._at_line_start = piece.endswith("\n")
        self._target.write("".join(out))
        return len(text)

    def flush(self) -> None:
        self._target.flush()


@contextlib.contextmanager
def stamped_output(*, stdout: bool = True) -> Iterator[None]:
    """Stamp every line on stderr (and on stdout unless ``stdout`` is False) while inside."""
    saved = sys.stdout, sys.stderr
    if stdout:
        sys.stdout = StampedLines(saved[0])
    sys.stderr = StampedLines(saved[1])
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        sys.stdout, sys.stderr = saved


def print_done(reports: Sequence[SendReport]) -> None:
    """``--quiet``: one line per campaign that sent something, and every warning."""
    for r in reports:
        if r.sent_now:
            click.echo(f"{r.issue_id}: sent to {r.sent_now} of {r.recipients} ({r.status})")
        if r.reason:
            click.echo(f"{r.issue_id}: {r.reason}", err=True)
        if r.counts.get("unknown"):
            click.echo(
                f"{r.issue_id}: {r.counts['unknown']} deliveries have an unknown outcome; "
                f"see `newsletter campaigns show {r.issue_id}`",
                err=True,
            )
