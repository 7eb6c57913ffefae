"""``POST /webhooks/sendgrid``: SendGrid's signed Event Webhook.

The endpoint reads the raw body (the size limit middleware caps it), verifies the signature
over the timestamp and those exact bytes, parses the events and hands them to the recorder
injected into the app. Verification and parsing are the pure functions of
:mod:`mailer.events.webhook`; what "recording" means (the ledger, suppressions, counts) is the
recorder's job, applied idempotently by ``sg_event_id`` because SendGrid retries for 24 hours.

Answers: 200 with the number of events received; 403 for a missing, bad or stale signature;
400 for a body that is not a JSON list of events; 413 over the size limit; 503 while no public
key or recorder is configured (SendGrid retries later, so nothing is lost).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mailer.clock import Clock
from mailer.errors import WebhookConfigError
from mailer.events.webhook import (
    PUBLIC_KEY_ENV,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Event,
    parse_events,
    verify_signature,
)
from mailer.web.pages import Endpoint


class EventRecorder(Protocol):
    """Applies verified events; must be idempotent by ``sg_event_id``. Called in a thread."""

    def __call__(self, events: Sequence[Event]) -> None: ...


class MemoryRecorder:
    """Keeps events in a list, skipping ids already seen: for tests and benchmarks."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.seen: set[str] = set()
        self.batches = 0

    def __call__(self, events: Sequence[Event]) -> None:
        self.batches += 1
        for event in events:
            if event.sg_event_id not in self.seen:
                self.seen.add(event.sg_event_id)
                self.events.append(event)


def sendgrid_webhook_endpoint(
    public_key: ec.EllipticCurvePublicKey | None,
    recorder: EventRecorder | None,
    clock: Clock,
    window: timedelta,
) -> Endpoint:
    async def sendgrid_webhook(request: Request) -> Response:
        body = await request.body()
        if public_key is None:
            raise WebhookConfigError(f"{PUBLIC_KEY_ENV} is not set")
        verify_signature(
            public_key,
            body,
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
            now=clock(),
            window=window,
        )
        events = parse_events(body)
        if recorder is None:
            raise WebhookConfigError("no event recorder is configured")
        if events:
            await run_in_threadpool(recorder, events)
        return JSONResponse({"received": len(events)}, headers={"Cache-Control": "no-store"})

    return sendgrid_webhook
