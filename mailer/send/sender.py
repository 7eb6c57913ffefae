"""Send a campaign: claim batches, personalise, hand them to a transport, record the outcome.

``send_campaign`` depends on two narrow things only: the ledger (which hands out the next
batch and records what happened) and a :class:`~mailer.transports.base.Transport`. It never
sees SendGrid JSON or SQL. A few workers (threads) keep requests in flight at once.

What happens to a batch, by what the transport says:

==========================  ===========================================================
accepted (202)              rows ``accepted`` with the message id
MaybeAccepted               rows ``unknown``; the campaign goes on with the rest
Rejected (400)              rows ``failed``; the campaign fails with the server's messages
AuthFailed (401/403)        batch back to ``queued``; everyone stops (fix the key, rerun)
RetryBudgetExhausted        batch back to ``queued``; the campaign pauses and the next
                            scheduled run resumes it
==========================  ===========================================================
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from mailer.clock import Clock
from mailer.errors import CampaignError, SendError
from mailer.render.email import Email, substitutions
from mailer.send.campaigns import (
    Campaign,
    campaign_status,
    delivery_ref,
    get_campaign,
    new_worker_id,
    set_status,
    snapshot_audience,
)
from mailer.send.deliveries import (
    Batch,
    claim_batch,
    delivery_counts,
    expire_leases,
    finish_if_done,
    queued_left,
    settle_batch,
    unknown_batches,
)
from mailer.send.lock import campaign_lock
from mailer.send.tables import (
    ACCEPTED,
    DELIVERY_FAILED,
    FAILED,
    PAUSED,
    QUEUED,
    SENDING,
    UNKNOWN,
)
from mailer.transports.base import Outgoing, Transport
from mailer.transports.errors import (
    AuthFailed,
    MaybeAccepted,
    Rejected,
    RetryBudgetExhausted,
)
from mailer.transports.retry import RetryPolicy, send_with_retry
from subscribers.db import is_sqlite
from subscribers.tokens import TokenSigner

CLAIM_RETRIES = 200  # × CLAIM_RETRY_WAIT: how long to wait for rows another worker is claiming
CLAIM_RETRY_WAIT = 0.05


@dataclass(frozen=True)
class RecipientLinks:
    """Signs each recipient's unsubscribe and preferences links."""

    signer: TokenSigner
    base_url: str

    def outgoing(
        self, email: Email, campaign_id: int, batch: Batch, now: datetime
    ) -> list[Outgoing]:
        sign_unsubscribe = self.signer.signer_for("unsubscribe", email.list_id, now)
        sign_preferences = self.signer.signer_for("preferences", None, now)
        unsubscribe_at = f"{self.base_url}/u/"
        preferences_at = f"{self.base_url}/p/"
        prefix = f"c{campaign_id}-d"  # delivery_ref(campaign_id, row), without a call per row
        assert delivery_ref(campaign_id, 7) == f"{prefix}7"
        out = []
        for row_id, _, public_id, to_email, first_name in batch.recipients:
            unsubscribe = unsubscribe_at + sign_unsubscribe(public_id)
            preferences = preferences_at + sign_preferences(public_id)
            out.append(
                Outgoing(
                    f"{prefix}{row_id}",
                    to_email,
                    first_name,
                    substitutions(first_name, unsubscribe, preferences),
                    unsubscribe,
                )
            )
        return out


@dataclass(frozen=True)
class SendOptions:
    concurrency: int = 4
    batch_size: int | None = None  # default: the transport's maximum
    # longer than a batch can take (retry budget 5 min + timeouts), so it is never renewed
    lease: timedelta = timedelta(minutes=15)
    retry: RetryPolicy = field(default_factory=RetryPolicy)


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


@dataclass
class _Run:
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    requests: int = 0
    errors: list[BaseException] = field(default_factory=list)

    def add(self, sent: int) -> None:
        with self.lock:
            self.sent += sent
            self.requests += 1


def prepare_campaign(engine: Engine, campaign: Campaign, *, clock: Clock, owner: str) -> Campaign:
    """Under the campaign lock: snapshot the audience once. Returns the fresh campaign."""
    with campaign_lock(engine, campaign.id, owner=owner, clock=clock):
        snapshot_audience(engine, campaign, now=clock())
    fresh = get_campaign(engine, campaign.id)
    assert fresh is not None
    return fresh


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
    """Send every queued delivery of ``campaign``; safe to run in several processes at once."""
    if campaign.status != SENDING:
        raise CampaignError(
            f"campaign {campaign.issue_id} is {campaign.status}"
            + (f" ({campaign.status_reason})" if campaign.status_reason else "")
        )
    started = time.monotonic()
    owner = new_worker_id()
    campaign = prepare_campaign(engine, campaign, clock=clock, owner=owner)
    expire_leases(engine, campaign.id, now=clock())
    email = campaign.email
    size = min(options.batch_size or transport.max_batch, transport.max_batch)
    workers = options.concurrency if transport.name == "sendgrid" else 1
    run = _Run()
    custom_args = {
        "campaign_id": str(campaign.id),
        "issue_id": campaign.issue_id,
        "list_id": campaign.list_id,
    }

    # SQLite has one writer at a time: threads that queue on a Python lock wake the moment it
    # is free, where SQLite's own busy handler would sleep them for up to 100 ms at a time.
    writing: contextlib.AbstractContextManager[object] = (
        threading.Lock() if is_sqlite(engine) else contextlib.nullcontext()
    )

    def settle(batch_id: str, status: str, **values: str | None) -> None:
        with writing:
            settle_batch(engine, batch_id, status, now=clock(), **values)

    def work() -> None:
        worker_id = new_worker_id()
        misses = 0
        after = 0  # this worker's last claimed row: the next claim searches from there
        while not run.stop.is_set():
            if campaign_status(engine, campaign.id) != SENDING:
                return
            with writing:
                batch = claim_batch(
                    engine,
                    campaign.id,
                    worker_id=worker_id,
                    size=size,
                    lease=options.lease,
                    now=clock(),
                    after=after,
                )
            if batch is None and after:
                after = 0  # rows before it may be queued again (released batches): look there
                continue
            if batch is None:
                # On PostgreSQL a claim skips rows another worker is claiming at this moment
                # (SKIP LOCKED): stop only when nothing is queued at all.
                misses += 1
                if misses > CLAIM_RETRIES or not queued_left(engine, campaign.id):
                    return
                sleep(CLAIM_RETRY_WAIT)
                continue
            misses = 0
            if batch.recipients:
                after = batch.recipients[-1].row_id
            if progress and batch.suppressed:
                progress(batch.suppressed)
            if not batch.recipients:
                continue
            _send_one(batch)

    def _send_one(batch: Batch) -> None:
        handed_over = False
        try:
            outgoing = links.outgoing(email, campaign.id, batch, clock())
            handed_over = True
            result = send_with_retry(
                transport,
                email,
                outgoing,
                policy=options.retry,
                sleep=sleep,
                custom_args=custom_args,
            )
        except MaybeAccepted as exc:
            settle(batch.id, UNKNOWN, note=str(exc))
        except Rejected as exc:
            detail = "; ".join(exc.messages) or str(exc)
            settle(batch.id, DELIVERY_FAILED, note=detail)
            set_status(
                engine,
                campaign.id,
                FAILED,
                now=clock(),
                reason=f"SendGrid refused the request (400): {detail}",
            )
            _halt(exc)
        except AuthFailed as exc:
            settle(batch.id, QUEUED)
            _halt(exc)
        except RetryBudgetExhausted as exc:
            settle(batch.id, QUEUED)
            set_status(
                engine,
                campaign.id,
                PAUSED,
                now=clock(),
                auto_resume=True,
                reason=f"paused: {exc} — the next run resumes it",
                only_from=(SENDING,),
            )
            _halt(exc)
        except BaseException as exc:
            if not handed_over:
                settle(batch.id, QUEUED)
            # else: the rows stay claimed and become ``unknown`` (never resent blindly)
            _halt(exc)
        else:
            settle(batch.id, ACCEPTED, message_id=result.message_id)
            run.add(len(batch.recipients))
            if progress:
                progress(len(batch.recipients))
            return
        with run.lock:
            run.requests += 1
        if progress:
            progress(len(batch.recipients))

    def _halt(exc: BaseException) -> None:
        with run.lock:
            run.errors.append(exc)
        run.stop.set()

    with (
        _frozen_heap(),
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="send") as pool,
    ):
        for future in [pool.submit(work) for _ in range(workers)]:
            future.result()

    with campaign_lock(engine, campaign.id, owner=owner, clock=clock):
        finish_if_done(engine, campaign.id, now=clock())
    final = get_campaign(engine, campaign.id)
    assert final is not None
    report = SendReport(
        campaign_id=final.id,
        issue_id=final.issue_id,
        status=final.status,
        reason=final.status_reason,
        recipients=final.recipients,
        counts=delivery_counts(engine, final.id),
        sent_now=run.sent,
        requests=run.requests,
        unknown_batches=tuple(unknown_batches(engine, final.id)),
        seconds=time.monotonic() - started,
    )
    for error in run.errors:
        if not isinstance(error, SendError):
            raise error
    auth = [e for e in run.errors if isinstance(e, AuthFailed)]
    if auth:
        raise StoppedSending(str(auth[0]), report)
    return report


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
