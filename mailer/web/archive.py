"""The web archive: ``/archive``, ``/archive/{issue}`` and the Atom feed ``/feed.xml``.

Only campaigns the ledger holds as ``sent`` appear. ``/archive/{issue}`` is the
view-in-browser link: the campaign's frozen email made into a public page by
:mod:`mailer.web.webversion` (no "view in browser" link, no greeting, signup links instead of
unsubscribe; no per-recipient tag), so it carries no personal data. That HTML is the email's
own document with its inline styles, so it gets its own content security policy: inline
styles and https images allowed, no scripts, forms or framing.
"""

from __future__ import annotations

from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from mailer.render.mjml import compile_mjml
from mailer.send.campaigns import Campaign, get_campaign, list_campaigns
from mailer.send.states import CampaignState
from mailer.web.supporters import Supporters
from mailer.web.webversion import web_mjml

ARCHIVE_CSP = "; ".join(
    (
        "default-src 'none'",
        "style-src 'unsafe-inline' https:",
        "img-src 'self' https: data:",
        "font-src https:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


def sent_campaigns(supporters: Supporters) -> list[Campaign]:
    """Sent campaigns, newest first."""
    sent = [c for c in list_campaigns(supporters.engine) if c.status == CampaignState.SENT]
    return sorted(sent, key=_when, reverse=True)


def _when(campaign: Campaign) -> datetime:
    return campaign.finished_at or campaign.created_at


def web_version(supporters: Supporters, campaign: Campaign) -> str:
    """The campaign's email as a public page, compiled like the email itself."""
    project = supporters.project
    font = project.settings.brand.web_font
    fonts = {"Brand": font} if font else {}
    return compile_mjml(web_mjml(campaign.email), templates=project.templates, fonts=fonts)


def atom_feed(supporters: Supporters, campaigns: list[Campaign]) -> bytes:
    from feedgen.feed import FeedGenerator

    settings = supporters.settings
    archive = supporters.url("/archive")
    feed = FeedGenerator()
    feed.id(archive)
    feed.title(f"Research news from {settings.organisation.name}")
    feed.author({"name": settings.organisation.name})
    feed.link(href=archive, rel="alternate")
    feed.link(href=supporters.url("/feed.xml"), rel="self")
    feed.language(settings.language)
    if campaigns:
        feed.updated(_when(campaigns[0]))
    for campaign in reversed(campaigns):  # feedgen lists the last added first
        email = campaign.email
        url = supporters.url(f"/archive/{campaign.issue_id}")
        entry = feed.add_entry()
        entry.id(url)
        entry.title(email.subject)
        entry.link(href=url, rel="alternate")
        entry.updated(_when(campaign))
        entry.published(_when(campaign))
        if email.preheader:
            entry.summary(email.preheader)
    data: bytes = feed.atom_str(pretty=True)
    return data


def archive_routes(supporters: Supporters) -> list[Route]:
    pages: dict[int, str] = {}  # campaign id -> web version (a sent campaign never changes)

    def page_of(campaign: Campaign) -> str:
        if campaign.id not in pages:
            pages[campaign.id] = web_version(supporters, campaign)
        return pages[campaign.id]

    async def archive_index(request: Request) -> Response:
        campaigns = await run_in_threadpool(sent_campaigns, supporters)
        issues = [
            {"issue_id": c.issue_id, "subject": c.subject, "date": _when(c).date()}
            for c in campaigns
        ]
        return supporters.pages.render(request, "archive.html.j2", {"issues": issues})

    async def archive_issue(request: Request) -> Response:
        issue_id = request.path_params["issue"]
        if len(issue_id) > 128:
            raise HTTPException(404)
        campaign = await run_in_threadpool(get_campaign, supporters.engine, issue_id)
        if campaign is None or campaign.status != CampaignState.SENT:
            raise HTTPException(404)
        return HTMLResponse(
            await run_in_threadpool(page_of, campaign),
            headers={
                "Content-Security-Policy": ARCHIVE_CSP,
                "Cache-Control": "public, max-age=300",
            },
        )

    async def feed(request: Request) -> Response:
        campaigns = await run_in_threadpool(sent_campaigns, supporters)
        return Response(
            atom_feed(supporters, campaigns),
            media_type="application/atom+xml; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    return [
        Route("/archive", archive_index, methods=["GET", "HEAD"], name="archive"),
        Route("/archive/{issue}", archive_issue, methods=["GET", "HEAD"], name="archive_issue"),
        Route("/feed.xml", feed, methods=["GET", "HEAD"], name="feed"),
    ]
