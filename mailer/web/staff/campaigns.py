"""Campaigns: the list, one campaign's live progress, and pause / resume / cancel / resolve.

``GET /staff/campaigns/{id}`` shows the ledger's counts; with JavaScript on,
``/staff/assets/console.js`` (a same-origin file, so the strict CSP needs no inline script)
polls ``GET /staff/campaigns/{id}/progress.json`` and updates the numbers; without it, the
page has a refresh link. Each action is a GET of a confirmation page, then a POST (CSRF)
that calls the same library functions as ``newsletter campaigns`` (the transitions are the
table :data:`MOVES`), and is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mailer.send.campaigns import Campaign, get_campaign, list_campaigns, set_status
from mailer.send.deliveries import (
    delivery_counts,
    expire_leases,
    resolve_unknown,
    unknown_batches,
)
from mailer.send.states import CampaignState
from mailer.web.pages import Endpoint
from mailer.web.staff.console import NO_STORE, Console, redirect
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
            "moves": _moves_for(campaign),
        }
        return console.render(request, session, "campaign.html.j2", context)

    return show


def _moves_for(campaign: Campaign) -> dict[str, Move]:
    return {
        name: move
        for name, move in MOVES.items()
        if move.to is not None and campaign.status in move.only_from
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
            return redirect(here, f"{count} unknown deliveries: {move.label.lower()}.")
        moved = set_status(
            console.engine,
            campaign.id,
            move.to,
            now=now,
            reason=move.reason,
            only_from=move.only_from,
        )
        if not moved:
            return redirect(here, f"Nothing changed: the campaign is {campaign.status}.")
        console.audit(session, f"campaign.{name}", detail=campaign.issue_id)
        return redirect(here, f"Campaign {campaign.issue_id}: {move.to}.")

    return act
