"""Campaigns: the list, one campaign's live progress, and pause / resume / cancel / resolve.

``GET /staff/campaigns/{id}`` shows the ledger's counts; with JavaScript on,
``/staff/assets/console.js`` (a same-origin file, so the strict CSP needs no inline script)
polls ``GET /staff/campaigns/{id}/progress.json`` and updates the numbers; without it, the
page has a refresh link. Each action is a GET of a confirmation page, then a POST (CSRF)
that calls the same library functions as ``newsletter campaigns`` (the transitions are the
table :data:`MOVES`; pause, resume and cancel go through
:func:`mailer.send.control.move_campaign`, so a campaign staged at SendGrid under a cancel
window is cancelled, paused or resumed there too, and the page says what SendGrid did in the
CLI's words), and is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mailer.config import Config
from mailer.errors import MailerError
from mailer.send.campaigns import Campaign, get_campaign, list_campaigns
from mailer.send.control import MoveOutcome, move_campaign
from mailer.send.deliveries import (
    delivery_counts,
    expire_leases,
    resolve_unknown,
    unknown_batches,
)
from mailer.send.states import CampaignState
from mailer.transports.sendgrid_admin import admin_from_config
from mailer.web.pages import Endpoint
from mailer.web.staff.console import NO_STORE, Console
from mailer.web.staff.sessions import Session


@dataclass(frozen=True, slots=True)
class Move:
    """A change of a campaign's state a person may ask for, as ``newsletter campaigns`` does."""

    label: str
    to: CampaignState | None  # None: resolve unknown deliveries
    only_from: tuple[CampaignState, ...]
    question: str
    reason: str | None = None


MOVES: dict[str, Move] = {
    "pause": Move(
        "Pause",
        CampaignState.PAUSED,
        (CampaignState.SENDING,),
        "Stop sending after the batches in flight? Scheduled runs leave it paused.",
        "paused by a person",
    ),
    "resume": Move(
        "Resume",
        CampaignState.SENDING,
        (CampaignState.PAUSED,),
        "Let it send again? The next `send` or `send --due` carries on.",
    ),
    "cancel": Move(
        "Cancel for good",
        CampaignState.CANCELLED,
        (CampaignState.SENDING, CampaignState.PAUSED),
        "Cancel for good? Nobody else receives it, and the issue id stays used.",
        "cancelled by a person",
    ),
    "resend": Move(
        "Resolve: send the unknown again",
        None,
        tuple(CampaignState),
        "Queue the deliveries whose outcome is unknown again? Some people may get it twice.",
    ),
    "mark-sent": Move(
        "Resolve: mark the unknown sent",
        None,
        tuple(CampaignState),
        "Treat the deliveries whose outcome is unknown as sent? Some people may miss it.",
    ),
}

PROGRESS_STATES = ("accepted", "queued", "claimed", "unknown", "failed", "suppressed")


def campaign_routes(console: Console) -> list[Route]:
    return [
        Route("/staff/campaigns", _list(console), methods=["GET", "HEAD"]),
        Route("/staff/campaigns/{id:int}", _show(console), methods=["GET", "HEAD"]),
        Route("/staff/campaigns/{id:int}/progress.json", _progress(console), methods=["GET"]),
        Route("/staff/campaigns/{id:int}/{action}", _confirm(console), methods=["GET", "HEAD"]),
        Route("/staff/campaigns/{id:int}/{action}", _act(console), methods=["POST"]),
    ]


def _campaign(console: Console, request: Request) -> Campaign:
    found = get_campaign(console.engine, int(request.path_params["id"]))
    if found is None:
        raise HTTPException(404)
    return found


def progress(console: Console, campaign: Campaign) -> dict[str, object]:
    counts = delivery_counts(console.engine, campaign.id)
    done = sum(counts[k] for k in ("accepted", "failed", "suppressed", "unknown"))
    total = sum(counts.values())
    return {
        "id": campaign.id,
        "status": str(campaign.status),
        "reason": campaign.status_reason,
        "recipients": campaign.recipients,
        "counts": {k: counts[k] for k in PROGRESS_STATES},
        "done": done,
        "total": total,
    }


def _list(console: Console) -> Endpoint:
    @console.guard("view")
    async def campaigns(request: Request, session: Session) -> Response:
        rows = [(c, delivery_counts(console.engine, c.id)) for c in list_campaigns(console.engine)]
        return console.render(request, session, "campaigns.html.j2", {"rows": rows})

    return campaigns


def _show(console: Console) -> Endpoint:
    @console.guard("view")
    async def show(request: Request, session: Session) -> Response:
        campaign = _campaign(console, request)
        if campaign.status in (CampaignState.SENDING, CampaignState.PAUSED):
            expire_leases(console.engine, campaign.id, now=console.clock())
        context = {
            "campaign": campaign,
            "progress": progress(console, campaign),
            "batches": unknown_batches(console.engine, campaign.id),
            "moves": _moves_for(campaign, now=console.clock()),
            "held": _held_at_sendgrid(campaign, now=console.clock()),
        }
        return console.render(request, session, "campaign.html.j2", context)

    return show


def _held_at_sendgrid(campaign: Campaign, *, now: datetime) -> bool:
    """Sent in full under a cancel window, and SendGrid still holds it (before send_at)."""
    return (
        campaign.status == CampaignState.SENT
        and campaign.sg_send_at is not None
        and now < campaign.sg_send_at
    )


def _moves_for(campaign: Campaign, *, now: datetime) -> dict[str, Move]:
    """The moves the campaign's state allows; pause and cancel too while SendGrid holds it."""
    held = _held_at_sendgrid(campaign, now=now)
    return {
        name: move
        for name, move in MOVES.items()
        if move.to is not None
        and (campaign.status in move.only_from or (held and move.to != CampaignState.SENDING))
    }


def _progress(console: Console) -> Endpoint:
    @console.guard("view")
    async def progress_json(request: Request, session: Session) -> Response:
        return JSONResponse(progress(console, _campaign(console, request)), headers=NO_STORE)

    return progress_json


def _move(request: Request) -> tuple[str, Move]:
    name = request.path_params["action"]
    move = MOVES.get(name)
    if move is None:
        raise HTTPException(404)
    return name, move


def _confirm(console: Console) -> Endpoint:
    @console.guard("campaign")
    async def confirm(request: Request, session: Session) -> Response:
        campaign = _campaign(console, request)
        name, move = _move(request)
        context = {"campaign": campaign, "name": name, "move": move}
        return console.render(request, session, "campaign_confirm.html.j2", context)

    return confirm


def _act(console: Console) -> Endpoint:
    @console.guard("campaign")
    async def act(request: Request, session: Session) -> Response:
        campaign = _campaign(console, request)
        name, move = _move(request)
        here = f"/staff/campaigns/{campaign.id}"
        now = console.clock()
        if move.to is None:
            count = resolve_unknown(console.engine, campaign.id, resend=name == "resend", now=now)
            console.audit(session, f"campaign.{name}", detail=campaign.issue_id, count=count)
            return console.redirect(
                session, here, f"{count} unknown deliveries: {move.label.lower()}."
            )
        try:
            outcome = await run_in_threadpool(  # SendGrid may be asked: off the event loop
                move_campaign,
                console.engine,
                campaign,
                move.to,
                only_from=move.only_from,
                control=lambda: admin_from_config(Config.from_environ(console.environ)),
                now=now,
                reason=move.reason,
            )
        except MailerError as exc:  # no SendGrid key, or SendGrid cannot be reached
            return console.redirect(session, here, _failed(console, session, name, campaign, exc))
        if outcome.moved:
            console.audit(session, f"campaign.{name}", detail=_detail(campaign, outcome))
        return console.redirect(session, here, _said(campaign, outcome))

    return act


def _said(campaign: Campaign, outcome: MoveOutcome) -> str:
    """The notice after a move: the ledger's part, then SendGrid's, in the same words as
    ``newsletter campaigns``."""
    said = [
        f"Campaign {campaign.issue_id}: {outcome.to}."
        if outcome.moved
        else f"Nothing changed: the campaign is {campaign.status}."
    ]
    if outcome.sendgrid is not None:
        said.append(outcome.sendgrid.sentence() + ".")
    return " ".join(said)


def _detail(campaign: Campaign, outcome: MoveOutcome) -> str:
    if outcome.sendgrid is None or outcome.sendgrid.stopped is None:
        return campaign.issue_id
    return f"{campaign.issue_id} (SendGrid: {outcome.sendgrid.stopped})"


def _failed(
    console: Console, session: Session, name: str, campaign: Campaign, exc: MailerError
) -> str:
    """The notice when SendGrid could not be asked: the ledger may have moved before (a
    campaign staged while still sending), and then the move is audited all the same."""
    now = get_campaign(console.engine, campaign.id)
    if now is None or now.status == campaign.status:
        return f"Nothing changed: {exc}"
    console.audit(session, f"campaign.{name}", detail=f"{campaign.issue_id} (SendGrid: {exc})")
    return f"Campaign {campaign.issue_id}: {now.status}. SendGrid was not asked: {exc}."
