"""One ``send`` or ``send --due`` run as a library call: open, prepare once, send, report.

A script (or a scheduler written in Python) runs "send what is due" with::

    run = send_due(project, engine, transport, links)
    run.outcome            # Outcome.SENT, REFUSED, UNFINISHED or UNKNOWN

and one issue with ``send_issue(engine, prepare_email(project, path, now=...), ...)``. Nothing
here prints: what a person should see goes to a :class:`SendObserver` (the CLI's draws a
progress bar and one line per decision); the default one is silent. A stop that must end the
whole run (the API key was refused) raises :class:`~mailer.send.sender.StoppedSending`,
which carries the report so far.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from sqlalchemy import Engine

from mailer.clock import Clock, utc_now
from mailer.errors import MailerError
from mailer.render.email import Email
from mailer.send.campaigns import Campaign, new_worker_id
from mailer.send.deliveries import delivery_counts, unknown_batches
from mailer.send.plans import DueDecision, open_campaign, orphan_resumes, plan_due, prepare_email
from mailer.send.sender import (
    RecipientLinks,
    SendOptions,
    SendReport,
    StoppedSending,
    prepare_campaign,
    send_campaign,
)
from mailer.send.states import CampaignState, DeliveryState
from mailer.settings import Project
from mailer.transports.base import Transport

Advance = Callable[[int], None]


class Outcome(IntEnum):
    """How a run ended, worst last; the value is the exit status of ``newsletter send``."""

    SENT = 0  # or nothing was due, or another worker is finishing the last batches
    REFUSED = 1  # something was refused before sending (check errors, embargo, …)
    UNFINISHED = 2  # a campaign paused, failed or stopped
    UNKNOWN = 3  # finished, but some deliveries have an unknown outcome


class SendObserver(Protocol):
    """What a run tells the person watching it; every method may do nothing."""

    def decided(self, decision: DueDecision) -> None:
        """``send --due`` has decided what to do with one issue file."""

    def refused(self, decision: DueDecision, error: MailerError) -> None:
        """A due issue could not be sent (the run goes on with the others)."""

    def already_finished(self, campaign: Campaign) -> None:
        """The issue's campaign had finished before this run: nothing is sent."""

    def sending(self, campaign: Campaign, done: int) -> contextlib.AbstractContextManager[Advance]:
        """Around one campaign's sending: yields what to call with each batch's size."""


class QuietObserver:
    """Tells nobody anything: the default for library callers."""

    def decided(self, decision: DueDecision) -> None:
        """Nothing to say."""

    def refused(self, decision: DueDecision, error: MailerError) -> None:
        """Nothing to say (the run's ``refused`` flag records it)."""

    def already_finished(self, campaign: Campaign) -> None:
        """Nothing to say."""

    @contextlib.contextmanager
    def sending(self, campaign: Campaign, done: int) -> Iterator[Advance]:
        """No progress to show."""
        yield lambda n: None


QUIET = QuietObserver()


def others_finishing(report: SendReport) -> bool:
    """Still ``sending`` with nothing left to claim: another worker holds the last batches.

    (Or has just settled them and is about to mark the campaign sent; a worker that died
    instead leaves it ``sending``, and the next run finishes it.)
    """
    return report.status == CampaignState.SENDING and not report.counts.get(DeliveryState.QUEUED)


def outcome_of(reports: Sequence[SendReport]) -> Outcome:
    """The worst outcome among the campaigns a run sent."""
    worst = Outcome.SENT
    for report in reports:
        if report.status != CampaignState.SENT and not others_finishing(report):
            worst = max(worst, Outcome.UNFINISHED)
        elif report.counts.get(DeliveryState.UNKNOWN):
            worst = max(worst, Outcome.UNKNOWN)
    return worst


@dataclass(frozen=True)
class DueRun:
    """What ``send_due`` decided and sent."""

    decisions: tuple[DueDecision, ...]
    reports: tuple[SendReport, ...]
    refused: bool  # an invalid issue file, or a due issue that could not be sent

    @property
    def outcome(self) -> Outcome:
        """The campaigns' outcome; ``REFUSED`` when they all went well but something was not."""
        sent = outcome_of(self.reports)
        return Outcome.REFUSED if self.refused and sent == Outcome.SENT else sent


def standing_report(engine: Engine, campaign: Campaign) -> SendReport:
    """Where a campaign stands, as a report of a run that sent nothing."""
    return SendReport(
        campaign.id,
        campaign.issue_id,
        campaign.status,
        campaign.status_reason,
        campaign.recipients,
        delivery_counts(engine, campaign.id),
        0,
        0,
        tuple(unknown_batches(engine, campaign.id)),
        0.0,
    )


def run_campaign(
    engine: Engine,
    campaign: Campaign,
    transport: Transport,
    links: RecipientLinks,
    *,
    clock: Clock = utc_now,
    options: SendOptions = SendOptions(),
    observer: SendObserver = QUIET,
) -> SendReport:
    """Prepare ``campaign`` once (snapshot its audience), then send what is queued."""
    # a unique owner: two runs at once must never release each other's lock
    campaign = prepare_campaign(engine, campaign, clock=clock, owner=new_worker_id())
    done = campaign.recipients - delivery_counts(engine, campaign.id)[DeliveryState.QUEUED]
    with observer.sending(campaign, done) as advance:
        return send_campaign(
            engine, campaign, transport, links, clock=clock, options=options, progress=advance
        )


def send_issue(
    engine: Engine,
    email: Email,
    transport: Transport,
    links: RecipientLinks,
    *,
    clock: Clock = utc_now,
    options: SendOptions = SendOptions(),
    observer: SendObserver = QUIET,
) -> SendReport:
    """Send a checked ``email`` (see ``prepare_email``) to its audience.

    Opens the issue's campaign (a paused one resumes when the pause was automatic); a finished
    campaign sends nothing and reports where it stands. Raises ``CampaignError`` for an empty
    audience or a campaign that goes to another list.
    """
    campaign = open_campaign(engine, email, transport, now=clock(), resume_paused=True)
    if campaign.finished:
        observer.already_finished(campaign)
        return standing_report(engine, campaign)
    return run_campaign(
        engine, campaign, transport, links, clock=clock, options=options, observer=observer
    )


def send_due(
    project: Project,
    engine: Engine,
    transport: Transport,
    links: RecipientLinks,
    *,
    clock: Clock = utc_now,
    options: SendOptions = SendOptions(),
    observer: SendObserver = QUIET,
) -> DueRun:
    """Send every ``ready`` issue whose ``send_at`` has passed, and resume interrupted ones.

    Each issue file gets a :class:`DueDecision` (see ``plan_due``); an issue that cannot be
    sent (an embargo, or approval required and missing) is reported to the observer and the
    run goes on. Campaigns still ``sending`` whose issue file is gone resume from their frozen
    email.
    """
    now = clock()
    decisions = plan_due(project, engine, now=now)
    reports: list[SendReport] = []
    refused = False

    def run(campaign: Campaign) -> None:
        reports.append(
            run_campaign(
                engine, campaign, transport, links, clock=clock, options=options, observer=observer
            )
        )

    for decision in decisions:
        observer.decided(decision)
        if decision.action == "error":
            refused = True
            continue
        if decision.action != "send":
            continue
        try:
            email = prepare_email(project, project.root / decision.path, now=now, engine=engine)
            run(open_campaign(engine, email, transport, now=now, resume_paused=True))
        except StoppedSending:
            raise
        except MailerError as exc:
            refused = True
            observer.refused(decision, exc)
    for campaign in orphan_resumes(engine, decisions):
        run(campaign)
    return DueRun(tuple(decisions), tuple(reports), refused)
