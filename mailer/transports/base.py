"""The narrow interface between the sender and whatever delivers mail.

The sender hands a transport one batch of :class:`Outgoing` recipients of one rendered
:class:`~mailer.render.email.Email` and gets a :class:`BatchResult` back, or one of the errors in
:mod:`mailer.transports.errors`, which say whether the batch may have been accepted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from mailer.render.email import Email


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One recipient of one batch: where to send and the values of their tags."""

    delivery_id: str
    to_email: str
    to_name: str | None
    substitutions: Mapping[str, str]
    unsubscribe_url: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What the transport learnt when a batch was accepted."""

    message_id: str | None
    accepted: int
    status: int | None = None
    details: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Transport(Protocol):
    """Delivers batches of one email; ``max_batch`` is the most recipients per call.

    ``name`` is the transport's kind (``sendgrid``, ``smtp``, ``outbox``); ``target`` says
    where mail goes (an API host, an SMTP server, a directory), for showing on screen.
    ``max_concurrency`` is how many batches one process may have in flight at once through
    this transport (from several threads): 1 when it must be used one batch at a time.
    ``supports_sandbox`` says whether ``send_batch(sandbox=True)`` means something (the
    service validates the request and delivers nothing). ``describe_batch`` is what
    ``send_batch`` would hand over for a batch, as JSON-able data with no secret in it: what
    a dry run shows.
    """

    name: str
    target: str
    max_batch: int
    max_concurrency: int
    supports_sandbox: bool

    def describe_batch(
        self, email: Email, batch: Sequence[Outgoing], custom_args: Mapping[str, str] = {}
    ) -> dict[str, Any]: ...

    def send_batch(
        self,
        email: Email,
        batch: Sequence[Outgoing],
        *,
        test: bool = False,
        sandbox: bool = False,
        custom_args: Mapping[str, str] = {},
    ) -> BatchResult: ...

    def close(self) -> None: ...


@runtime_checkable
class Schedulable(Protocol):
    """A transport that can stage a campaign for later under one batch id (SendGrid's
    ``batch_id`` + ``send_at``), so that it can still be cancelled: the cancel window."""

    def scheduled(self, batch_id: str, send_at: int) -> Transport: ...


def describe_messages(
    batch: Sequence[Outgoing], custom_args: Mapping[str, str] = {}
) -> dict[str, Any]:
    """A batch as one message per recipient (the outbox and SMTP transports)."""
    return {
        "custom_args": dict(custom_args),
        "messages": [
            {
                "to": o.to_email,
                "substitutions": dict(o.substitutions),
                "list_unsubscribe": o.unsubscribe_url,
            }
            for o in batch
        ],
    }


def check_batch_size(transport_name: str, batch: Sequence[Outgoing], max_batch: int) -> None:
    """Refuse an empty or over-size batch before anything is sent."""
    if not batch:
        raise ValueError(f"{transport_name}: empty batch")
    if len(batch) > max_batch:
        raise ValueError(
            f"{transport_name}: batch of {len(batch)} recipients is over the limit of "
            f"{max_batch}; split it first"
        )
