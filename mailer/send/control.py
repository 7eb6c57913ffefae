"""Campaign control: pause, resume or cancel a campaign, in the ledger and at SendGrid.

One place for what ``newsletter campaigns pause|resume|cancel`` and the staff console's
buttons do. :func:`move_campaign` changes the campaign's state (``only_from`` names the states
it may leave) and, for a campaign staged under a cancel window (:mod:`mailer.send.window`),
asks SendGrid to cancel, pause or resume its batch:

==========================================  ===============================  ================
the campaign                                at SendGrid                      the ledger
==========================================  ===============================  ================
not staged (no batch id)                    nothing asked                    moved if allowed
staged and still sending or paused          asked after the ledger moved     moved if allowed
staged and ``sent`` (all of it at           asked first; when SendGrid has   moved only when
SendGrid), pause or cancel                  it (too late) nothing else       SendGrid agreed
==========================================  ===============================  ================

The batch endpoints are built only when SendGrid must be asked (``control`` is a factory),
so a campaign without a window needs no SendGrid key. :class:`MoveOutcome` carries what
happened; :meth:`AtSendGrid.sentence` is the one sentence people read, in the CLI and on the
console alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from mailer.send.campaigns import Campaign, set_status
from mailer.send.states import CampaignState
from mailer.send.window import BatchControl, Stopped, resume_at_sendgrid, stop_at_sendgrid


@dataclass(frozen=True, slots=True)
class AtSendGrid:
    """What SendGrid did with the campaign's batch."""

    issue_id: str
    batch: str
    send_at: datetime
    action: str  # "cancel", "pause" or "resume"
    stopped: Stopped | None = None  # cancel and pause
    resumed: bool = False  # resume: False when the batch was not paused
    cancelled: int = 0  # deliveries that became ``cancelled``

    @property
    def too_late(self) -> bool:
        return self.stopped is Stopped.TOO_LATE

    def sentence(self) -> str:
        """One line for a person: what SendGrid did, or that it has the mail."""
        batch, when = self.batch, self.send_at.strftime("%Y-%m-%d %H:%M UTC")
        if self.action == "resume":
            return f"SendGrid batch {batch}: " + ("resumed" if self.resumed else "not paused")
        if self.stopped is Stopped.CANCELLED:
            return (
                f"SendGrid cancelled batch {batch} before its send_at ({when}): "
                f"{self.cancelled} deliveries cancelled; nobody receives them"
            )
        if self.stopped is Stopped.PAUSED:
            return (
                f"SendGrid paused batch {batch} before its send_at ({when}); "
                f"`newsletter campaigns resume {self.issue_id}` lets it go"
            )
        return (
            f"SendGrid has it: batch {batch} was due at {when} and can no longer be stopped "
            "(SendGrid refuses changes in the last 10 minutes); what was handed to SendGrid "
            "is delivered"
        )


@dataclass(frozen=True, slots=True)
class MoveOutcome:
    """What :func:`move_campaign` did: whether the ledger moved, and SendGrid's part."""

    moved: bool
    was: CampaignState  # the campaign's state before
    to: CampaignState
    sendgrid: AtSendGrid | None = None  # None: SendGrid was not asked


def move_campaign(
    engine: Engine,
    campaign: Campaign,
    status: CampaignState,
    *,
    only_from: tuple[CampaignState, ...],
    control: Callable[[], BatchControl],
    now: datetime,
    reason: str | None = None,
) -> MoveOutcome:
    """Move ``campaign`` to ``status`` in the ledger and at SendGrid; see the module docstring.

    ``control`` builds SendGrid's batch endpoints when they are needed; its errors (a missing
    key: ``TransportConfigError``) and SendGrid's are the caller's to report.
    """
    was = CampaignState(campaign.status)
    staged = campaign.sg_batch_id is not None
    sendgrid: AtSendGrid | None = None
    if staged and was == CampaignState.SENT and status != CampaignState.SENDING:
        # all of it is at SendGrid: only SendGrid can still stop it, before send_at
        sendgrid = at_sendgrid(engine, campaign, status, control(), now=now)
        if sendgrid.too_late:
            return MoveOutcome(False, was, status, sendgrid)
        only_from = (*only_from, CampaignState.SENT)
        staged = False
    if not set_status(engine, campaign.id, status, now=now, reason=reason, only_from=only_from):
        return MoveOutcome(False, was, status, sendgrid)
    if staged:
        sendgrid = at_sendgrid(engine, campaign, status, control(), now=now)
    return MoveOutcome(True, was, status, sendgrid)


def at_sendgrid(
    engine: Engine,
    campaign: Campaign,
    status: CampaignState,
    control: BatchControl,
    *,
    now: datetime,
) -> AtSendGrid:
    """Cancel, pause or resume the staged campaign's batch at SendGrid."""
    if campaign.sg_batch_id is None or campaign.sg_send_at is None:
        raise ValueError(f"campaign {campaign.issue_id} was not staged under a batch id")
    known = (campaign.issue_id, campaign.sg_batch_id, campaign.sg_send_at)
    if status == CampaignState.SENDING:
        return AtSendGrid(*known, "resume", resumed=resume_at_sendgrid(campaign, control))
    action = "cancel" if status == CampaignState.CANCELLED else "pause"
    stopped, cancelled = stop_at_sendgrid(engine, campaign, control, status=action, now=now)
    return AtSendGrid(*known, action, stopped=stopped, cancelled=cancelled)
