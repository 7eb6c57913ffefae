"""The outbox transport: one personalised ``.eml`` file per recipient, nothing sent.

What an interactive send uses when no transport is configured, so a new user can run the
whole flow and open exactly what each supporter would receive, headers included. Files go to
``<directory>/<campaign-or-issue-id>/<delivery_id>.eml``; sandbox sends build the messages and
write nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from email.utils import formataddr
from pathlib import Path
from typing import Any

from mailer.render.email import Email
from mailer.render.mime import build_message
from mailer.transports.base import (
    BatchResult,
    Outgoing,
    check_batch_size,
    describe_messages,
)

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def safe_name(value: str, what: str) -> str:
    """``value`` if it is safe as one path component, else ValueError."""
    if not _SAFE.match(value) or ".." in value:
        raise ValueError(f"{what} {value!r} is not safe as a file name")
    return value


class OutboxTransport:
    """Writes one ``.eml`` per recipient under ``directory``."""

    name = "outbox"
    max_concurrency = 1  # one batch at a time: the files are written in order
    supports_sandbox = False

    def __init__(
        self, directory: Path, *, max_batch: int = 100, unsubscribe_mailto: str | None = None
    ) -> None:
        self.directory = directory
        self.target = str(directory)
        self.max_batch = max_batch
        self.unsubscribe_mailto = unsubscribe_mailto

    def folder_for(self, email: Email, custom_args: Mapping[str, str] = {}) -> Path:
        """Where the files of one campaign go: ``outbox/<issue id>/`` (one campaign per issue)."""
        key = custom_args.get("issue_id") or email.issue_id
        return self.directory / safe_name(str(key), "campaign id")

    def describe_batch(
        self, email: Email, batch: Sequence[Outgoing], custom_args: Mapping[str, str] = {}
    ) -> dict[str, Any]:
        """One message per recipient, as :func:`mailer.render.mime.build_message` makes it."""
        return describe_messages(batch, custom_args)

    def send_batch(
        self,
        email: Email,
        batch: Sequence[Outgoing],
        *,
        test: bool = False,
        sandbox: bool = False,
        custom_args: Mapping[str, str] = {},
    ) -> BatchResult:
        check_batch_size(self.name, batch, self.max_batch)
        folder = self.folder_for(email, custom_args)
        messages = []
        for item in batch:
            message = build_message(
                email,
                formataddr((item.to_name or "", item.to_email)),
                item.substitutions,
                test=test,
                unsubscribe_mailto=self.unsubscribe_mailto,
            )
            messages.append((safe_name(item.delivery_id, "delivery id"), message.as_bytes()))
        if sandbox:
            return BatchResult(message_id=None, accepted=len(batch))
        folder.mkdir(parents=True, exist_ok=True)
        for delivery_id, data in messages:
            path = folder / f"{delivery_id}.eml"
            partial = folder / f".{delivery_id}.eml.tmp"
            partial.write_bytes(data)
            os.replace(partial, path)
        return BatchResult(message_id=None, accepted=len(batch))

    def close(self) -> None:
        """Nothing to release."""
