"""The cancel window: a SendGrid campaign staged under one batch id, sent ``window`` later.

With ``sending: {cancel_window: 15m}`` in ``newsletter.yaml`` (see :mod:`mailer.settings`),
the first run of a campaign asks SendGrid for a batch id (``POST /v3/mail/batch``) and stores
it on the campaign with ``send_at`` = now + the window; every request of the campaign, in this
run and any that resumes it, carries that ``batch_id`` and ``send_at``
(:meth:`~mailer.transports.base.Schedulable.scheduled`). Until ``send_at`` SendGrid only holds
the mail, so :func:`stop_at_sendgrid` can still cancel (or pause) the whole batch
(``POST /v3/user/scheduled_sends``):

=====================================  ==========================================  ===========
when                                   at SendGrid                                 deliveries
=====================================  ==========================================  ===========
no batch id (no window, other          nothing to do                               unchanged
transport, or nothing sent yet)
before ``send_at``, SendGrid agrees    the batch is cancelled (or paused)          accepted and
                                                                                   unknown →
                                                                                   cancelled
                                                                                   (cancel only)
``send_at`` passed, or SendGrid        SendGrid has it: it is delivered            unchanged
refuses (its last 10 minutes)
=====================================  ==========================================  ===========

The ledger's promises hold: a cancelled delivery was never delivered (SendGrid drops every
request of a cancelled batch, one still in flight too), so ``cancelled`` is a final state; an
``unknown`` request either never reached SendGrid or was held in the cancelled batch, so it
becomes ``cancelled`` as well; queued deliveries stay queued in a cancelled campaign, which
nothing sends again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import Engine, update

from mailer.config import Config
from mailer.send.campaigns import Campaign, get_campaign
from mailer.send.states import DeliveryState
from mailer.send.tables import campaigns, deliveries
from mailer.settings import Project
from mailer.transports.base import Schedulable, Transport
from mailer.transports.errors import TooLateToChange
from subscribers.db import write_transaction

#: SendGrid does not guarantee a cancel or pause in the last 10 minutes before ``send_at``.
SENDGRID_FREEZE = timedelta(minutes=10)


class BatchControl(Protocol):
    """SendGrid's batch endpoints (:class:`mailer.transports.sendgrid_admin.SendGridAdmin`)."""

    def new_batch_id(self) -> str: ...

    def change_batch(self, batch_id: str, status: str) -> None: ...

    def clear_batch(self, batch_id: str) -> bool: ...


@dataclass(frozen=True)
class Window:
    """How far ahead a campaign is staged, and the batch endpoints to stage it with."""

    length: timedelta
    control: BatchControl


class Stopped(StrEnum):
    """What :func:`stop_at_sendgrid` did."""

    NO_WINDOW = "no window"  # the campaign was never staged under a batch id
    CANCELLED = "cancelled"  # SendGrid cancelled the batch before its send_at
    PAUSED = "paused"  # SendGrid paused the batch before its send_at
    TOO_LATE = "too late"  # SendGrid has it: send_at passed, or it refused the change


def window_for(project: Project, config: Config) -> Window | None:
    """The project's cancel window, when it has one and SendGrid is the transport."""
    length = project.settings.sending.cancel_window
    if length is None or config.transport != "sendgrid":
        return None
    from mailer.transports.sendgrid_admin import admin_from_config

    return Window(length, admin_from_config(config))


def stage_campaign(
    engine: Engine,
    campaign: Campaign,
    transport: Transport,
    window: Window | None,
    *,
    now: datetime,
) -> tuple[Campaign, Transport]:
    """The campaign with its batch id and ``send_at`` (made on its first run) and a transport
    that sends under them; unchanged without a window or a transport that can schedule."""
    if window is None or not isinstance(transport, Schedulable):
        return campaign, transport
    if campaign.sg_batch_id is None:
        batch_id = window.control.new_batch_id()
        with write_transaction(engine) as connection:
            connection.execute(
                update(campaigns)
                .where(campaigns.c.id == campaign.id, campaigns.c.sg_batch_id.is_(None))
                .values(sg_batch_id=batch_id, sg_send_at=now + window.length, updated_at=now)
            )
        fresh = get_campaign(engine, campaign.id)  # another worker's batch id may have won
        campaign = fresh if fresh is not None else campaign
    if campaign.sg_batch_id is None or campaign.sg_send_at is None:
        return campaign, transport
    send_at = int(campaign.sg_send_at.timestamp())
    return campaign, transport.scheduled(campaign.sg_batch_id, send_at)


def stop_at_sendgrid(
    engine: Engine, campaign: Campaign, control: BatchControl, *, status: str, now: datetime
) -> tuple[Stopped, int]:
    """Cancel (``status="cancel"``) or pause the campaign's batch at SendGrid while it can;
    returns what happened and how many deliveries became ``cancelled``."""
    if campaign.sg_batch_id is None or campaign.sg_send_at is None:
        return Stopped.NO_WINDOW, 0
    if now >= campaign.sg_send_at:
        return Stopped.TOO_LATE, 0
    try:
        control.change_batch(campaign.sg_batch_id, status)
    except TooLateToChange:
        return Stopped.TOO_LATE, 0
    if status != "cancel":
        return Stopped.PAUSED, 0
    with write_transaction(engine) as connection:
        cancelled = connection.execute(
            update(deliveries)
            .where(
                deliveries.c.campaign_id == campaign.id,
                deliveries.c.status.in_((DeliveryState.ACCEPTED, DeliveryState.UNKNOWN)),
            )
            .values(
                status=DeliveryState.CANCELLED,
                note=f"cancelled at SendGrid (batch {campaign.sg_batch_id}) before send_at",
                updated_at=now,
            )
        ).rowcount
    return Stopped.CANCELLED, int(cancelled)


def resume_at_sendgrid(campaign: Campaign, control: BatchControl) -> bool:
    """Lift a pause of the campaign's batch at SendGrid; False when none was set."""
    if campaign.sg_batch_id is None:
        return False
    return control.clear_batch(campaign.sg_batch_id)
