"""Send a campaign: claim a batch, deliver it through a transport, settle what happened.

``send_campaign`` depends on two narrow things only: the ledger (which hands out the next
batch and records what happened) and a :class:`~mailer.transports.base.Transport`. It never
sees SendGrid JSON or SQL. A few threads keep requests in flight at once, as many as the
transport allows (``max_concurrency``: one for SMTP and the outbox), and with
``SendOptions.workers`` above 1 as many processes share the work once the campaign is
prepared (:mod:`mailer.send.workers`; transports that allow concurrency only).

What happens to a batch, by what the transport says, is
:data:`mailer.send.outcomes.OUTCOMES`:

==========================  ==========  ==========  =======================================
transport says              deliveries  campaign    then
==========================  ==========  ==========  =======================================
accepted (202)              accepted    —           go on (message id recorded)
MaybeAccepted               unknown     —           go on with the rest
Rejected (400)              failed      failed      stop; the reason holds the server's words
AuthFailed (401/403)        queued      —           stop everyone (fix the key, rerun)
RetryBudgetExhausted        queued      paused      stop; the next scheduled run resumes it
==========================  ==========  ==========  =======================================

Anything else (a bug, Ctrl-C) stops everyone and is raised again: a batch not yet handed to
the transport goes back to ``queued``; one that was stays ``claimed`` and becomes ``unknown``
when its lease runs out or its process is gone (never resent blindly).
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine

from mailer.clock import Clock
from mailer.errors import CampaignError, SendError
from mailer.send.batch_loop import BatchWorker, SendOptions, Shared
from mailer.send.campaigns import Campaign, get_campaign, new_worker_id, snapshot_audience
from mailer.send.deliveries import delivery_counts, expire_leases, finish_if_done, unknown_batches
from mailer.send.links import RecipientLinks, campaign_custom_args
from mailer.send.lock import campaign_lock
from mailer.send.states import CampaignState
from mailer.send.workers import can_fork, join_workers, shared_between_processes, start_workers
from mailer.transports.base import Transport
from mailer.transports.errors import AuthFailed

__all__ = [
    "RecipientLinks",
    "SendOptions",
    "SendReport",
    "StoppedSending",
    "prepare_campaign",
    "send_campaign",
]


@dataclass(frozen=True)
class SendReport:
    """What a run did to one campaign, and where the campaign stands."""

    campaign_id: int
    issue_id: str
    status: str
    reason: str | None
    recipients: int
    counts: dict[str, int]
    sent_now: int
    requests: int
    unknown_batches: tuple[dict[str, object], ...]
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {
            "campaign_id": self.campaign_id,
            "issue_id": self.issue_id,
            "status": self.status,
            "reason": self.reason,
            "recipients": self.recipients,
            "counts": self.counts,
            "sent_now": self.sent_now,
            "requests": self.requests,
            "unknown_batches": list(self.unknown_batches),
            "seconds": round(self.seconds, 3),
        }


def prepare_campaign(engine: Engine, campaign: Campaign, *, clock: Clock, owner: str) -> Campaign:
    """Under the campaign lock: snapshot the audience once. Returns the fresh campaign."""
    with campaign_lock(engine, campaign.id, owner=owner, clock=clock):
        snapshot_audience(engine, campaign, now=clock())
    return _fresh(engine, campaign.id)


def send_campaign(
    engine: Engine,
    campaign: Campaign,
    transport: Transport,
    links: RecipientLinks,
    *,
    options: SendOptions = SendOptions(),
    clock: Clock,
    progress: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Send every queued delivery of ``campaign``; safe to run in several processes at once.

    Raises :class:`StoppedSending` (with the report) when the transport refused the
    credentials, and re-raises anything that is not a :class:`SendError`.
    """
    if campaign.status != CampaignState.SENDING:
        raise CampaignError(
            f"campaign {campaign.issue_id} is {campaign.status}"
            + (f" ({campaign.status_reason})" if campaign.status_reason else "")
        )
    started = time.monotonic()
    owner = new_worker_id()
    campaign = prepare_campaign(engine, campaign, clock=clock, owner=owner)
    expire_leases(engine, campaign.id, now=clock())
    shared = Shared(
        engine=engine,
        campaign=campaign,
        email=campaign.email,
        transport=transport,
        links=links,
        options=options,
        clock=clock,
        sleep=sleep,
        progress=progress,
        size=min(options.batch_size or transport.max_batch, transport.max_batch),
        custom_args=_custom_args(campaign),
    )
    processes = worker_processes(options, transport)
    if processes > 1:
        shared_between_processes(shared)
    with _frozen_heap():
        workers = start_workers(shared, processes - 1, _send_threads)
        try:
            _send_threads(shared)
        finally:
            join_workers(workers)
    if workers:  # a worker process killed mid-batch left it claimed: it becomes unknown now
        expire_leases(engine, campaign.id, now=clock())
    with campaign_lock(engine, campaign.id, owner=owner, clock=clock):
        finish_if_done(engine, campaign.id, now=clock())
    report = _report(engine, campaign.id, shared, time.monotonic() - started)
    _raise_stops(shared.errors, report)
    return report


def worker_processes(options: SendOptions, transport: Transport) -> int:
    """How many processes send: ``options.workers`` when the transport and platform allow."""
    if transport.max_concurrency < 2 or not can_fork():
        return 1
    return max(1, options.workers)


def _send_threads(shared: Shared) -> None:
    """This process's sending threads, until none finds anything left to claim."""
    threads = max(1, min(shared.options.concurrency, shared.transport.max_concurrency))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="send") as pool:
        for future in [pool.submit(BatchWorker(shared).work) for _ in range(threads)]:
            future.result()


def _custom_args(campaign: Campaign) -> Mapping[str, str]:
    """What every request of the campaign carries, for SendGrid's events to point back."""
    return campaign_custom_args(campaign.id, campaign.issue_id, campaign.list_id)


def _fresh(engine: Engine, campaign_id: int) -> Campaign:
    found = get_campaign(engine, campaign_id)
    if found is None:
        raise CampaignError(f"campaign {campaign_id} is gone")
    return found


def _report(engine: Engine, campaign_id: int, shared: Shared, seconds: float) -> SendReport:
    final = _fresh(engine, campaign_id)
    return SendReport(
        campaign_id=final.id,
        issue_id=final.issue_id,
        status=final.status,
        reason=final.status_reason,
        recipients=final.recipients,
        counts=delivery_counts(engine, final.id),
        sent_now=shared.sent,
        requests=shared.requests,
        unknown_batches=tuple(unknown_batches(engine, final.id)),
        seconds=seconds,
    )


def _raise_stops(errors: list[BaseException], report: SendReport) -> None:
    """Raise what stopped the run: a bug as itself, refused credentials as StoppedSending."""
    for error in errors:
        if not isinstance(error, SendError):
            raise error
    auth = [e for e in errors if isinstance(e, AuthFailed)]
    if auth:
        raise StoppedSending(str(auth[0]), report)


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep the objects alive before sending out of the garbage collector's full passes.

    Each batch allocates thousands of short-lived containers, which trigger collections;
    without this the occasional full pass walks every long-lived object (SQLAlchemy, the
    rendered email, imported modules) again, about 15% of the sending time. Objects made while
    sending are collected as usual; the frozen ones go back to the collector afterwards.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class StoppedSending(SendError):
    """Sending stopped at once (e.g. the API key was refused); carries the report so far."""

    def __init__(self, message: str, report: SendReport) -> None:
        super().__init__(message)
        self.report = report
