"""One sending thread's loop: claim a batch, deliver it, settle it, until nothing is left.

:class:`Shared` is what the threads of one run share (the campaign, the transport, counters
and the stop signal); :class:`BatchWorker` is one thread's loop over :meth:`~BatchWorker.claim`,
:meth:`~BatchWorker.deliver` and :meth:`~BatchWorker.settle`. What an answer does is looked
up in :data:`mailer.send.outcomes.OUTCOMES`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from mailer.render.email import Email
from mailer.send.campaigns import Campaign, campaign_status, new_worker_id, set_status
from mailer.send.deliveries import Batch, claim_batch, queued_left, settle_batch
from mailer.send.links import RecipientLinks
from mailer.send.outcomes import OUTCOMES, Outcome, describe, outcome_of
from mailer.send.states import CampaignState, DeliveryState
from mailer.send.window import Window
from mailer.transports.base import BatchResult, Outgoing, Transport
from mailer.transports.retry import RetryPolicy, send_with_retry
from subscribers.db import is_sqlite

CLAIM_RETRIES = 200  # × CLAIM_RETRY_WAIT: how long to wait for rows another worker is claiming
CLAIM_RETRY_WAIT = 0.05


@dataclass(frozen=True)
class SendOptions:
    """How a run sends: processes, requests in flight each, batch size, lease, retry budget."""

    concurrency: int = 4  # capped by the transport's max_concurrency
    workers: int = 1  # processes (see mailer.send.workers); 1 unless the transport allows more
    batch_size: int | None = None  # default: the transport's maximum
    # longer than a batch can take (retry budget 5 min + timeouts), so it is never renewed
    lease: timedelta = timedelta(minutes=15)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    window: Window | None = None  # stage SendGrid campaigns under a cancel window


class StopSignal(Protocol):
    """A ``threading.Event``, or a ``multiprocessing`` one when several processes send."""

    def is_set(self) -> bool: ...

    def set(self) -> None: ...


@dataclass(eq=False)
class Shared:
    """What the threads sending one campaign share; counters and errors under ``lock``."""

    engine: Engine
    campaign: Campaign
    email: Email
    transport: Transport
    links: RecipientLinks
    options: SendOptions
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    progress: Callable[[int], None] | None
    size: int
    custom_args: Mapping[str, str]
    stop: StopSignal = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    requests: int = 0
    errors: list[BaseException] = field(default_factory=list)
    # SQLite has one writer at a time: threads that queue on a Python lock wake the moment it
    # is free, where SQLite's own busy handler would sleep them for up to 100 ms at a time.
    writing: contextlib.AbstractContextManager[object] = field(init=False)

    def __post_init__(self) -> None:
        self.writing = threading.Lock() if is_sqlite(self.engine) else contextlib.nullcontext()

    def count(self, recipients: int, *, sent: bool) -> None:
        """One request made (its recipients sent, or not); tell the progress bar."""
        with self.lock:
            self.requests += 1
            if sent:
                self.sent += recipients
        if self.progress is not None:
            self.progress(recipients)

    def halt(self, error: BaseException) -> None:
        """Stop every thread after its current batch; ``error`` says why."""
        with self.lock:
            self.errors.append(error)
        self.stop.set()


class BatchWorker:
    """One thread's claim → deliver → settle loop (its own worker id in the ledger)."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.worker_id = new_worker_id()
        self.after = 0  # this worker's last claimed row: the next claim searches from there

    def work(self) -> None:
        """Send batches until none is left, the campaign leaves ``sending`` or a stop."""
        shared = self.shared
        misses = 0
        while not shared.stop.is_set():
            if campaign_status(shared.engine, shared.campaign.id) != CampaignState.SENDING:
                return
            batch = self.claim()
            if batch is None and self.after:
                self.after = 0  # rows before it may be queued again (released): look there
                continue
            if batch is None:
                # On PostgreSQL a claim skips rows another worker is claiming at this moment
                # (SKIP LOCKED): stop only when nothing is queued at all.
                misses += 1
                if misses > CLAIM_RETRIES or not queued_left(shared.engine, shared.campaign.id):
                    return
                shared.sleep(CLAIM_RETRY_WAIT)
                continue
            misses = 0
            if shared.progress is not None and batch.suppressed:
                shared.progress(batch.suppressed)
            if batch.recipients:
                self.after = batch.recipients[-1].row_id
                self.send(batch)

    def claim(self) -> Batch | None:
        """The next batch of queued deliveries, claimed for this worker (None: none found)."""
        shared = self.shared
        with shared.writing:
            return claim_batch(
                shared.engine,
                shared.campaign.id,
                worker_id=self.worker_id,
                size=shared.size,
                lease=shared.options.lease,
                now=shared.clock(),
                after=self.after,
            )

    def send(self, batch: Batch) -> None:
        """Deliver one claimed batch and settle it by :data:`~mailer.send.outcomes.OUTCOMES`."""
        shared = self.shared
        handed_over = False
        try:
            outgoing = shared.links.outgoing(
                shared.email, shared.campaign.id, batch.recipients, shared.clock()
            )
            handed_over = True
            result = self.deliver(outgoing)
        except BaseException as error:
            outcome = outcome_of(error)
            if outcome is not None:
                self.settle(batch, outcome, error=error)
                return
            # not in the table (a bug, Ctrl-C): stop everyone; send_campaign raises it again
            if not handed_over:
                self.release(batch)
            # else: the rows stay claimed and become ``unknown`` (never resent blindly)
            shared.count(len(batch.recipients), sent=False)
            shared.halt(error)
        else:
            self.settle(batch, OUTCOMES[None], result=result)

    def deliver(self, outgoing: list[Outgoing]) -> BatchResult:
        """Hand the batch to the transport, retrying while it surely was not accepted."""
        shared = self.shared
        return send_with_retry(
            shared.transport,
            shared.email,
            outgoing,
            policy=shared.options.retry,
            sleep=shared.sleep,
            custom_args=shared.custom_args,
        )

    def settle(
        self,
        batch: Batch,
        outcome: Outcome,
        *,
        result: BatchResult | None = None,
        error: BaseException | None = None,
    ) -> None:
        """Record the outcome: the deliveries, the campaign, the counters; stop if it says so."""
        shared = self.shared
        note, reason = describe(error)
        with shared.writing:
            settle_batch(
                shared.engine,
                batch.id,
                outcome.delivery,
                now=shared.clock(),
                message_id=result.message_id if result is not None else None,
                note=note,
            )
        if outcome.campaign is not None:
            set_status(
                shared.engine,
                shared.campaign.id,
                outcome.campaign,
                now=shared.clock(),
                reason=reason,
                auto_resume=outcome.auto_resume,
                only_from=(CampaignState.SENDING,) if outcome.auto_resume else None,
            )
        shared.count(len(batch.recipients), sent=outcome.delivery == DeliveryState.ACCEPTED)
        if outcome.stop and error is not None:
            shared.halt(error)

    def release(self, batch: Batch) -> None:
        """Put a batch that never reached the transport back in the queue."""
        shared = self.shared
        with shared.writing:
            settle_batch(shared.engine, batch.id, DeliveryState.QUEUED, now=shared.clock())
