"""``GET /staff/issues`` and ``GET /staff/issues/{name}``: the issue files and one issue.

Both read the files afresh on each request through the staff preview's own
:class:`mailer.web.preview.Preview` (the same ``check`` as ``newsletter check``), and the
one-issue page frames the preview's own frame endpoint, re-mounted at
``/staff/preview/frame/{name}`` behind the console's sign-in, so the console shows exactly what
the preview shows: the inbox line (:mod:`mailer.web.inbox`, as the supporter preview cuts it),
the email at phone and desktop width, at phone width in dark mode (the frame's
``?scheme=dark``), and the plain-text part. NAME is only ever matched against files that exist.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailer.render.check import check_paths
from mailer.render.email import personalise
from mailer.send.campaigns import get_campaign, list_campaigns
from mailer.web.inbox import PREHEADER_CHARS, SENDER_CHARS, SUBJECT_CHARS, inbox_line
from mailer.web.pages import Endpoint
from mailer.web.preview import SAMPLE_VALUES, Preview, preview_routes
from mailer.web.staff.console import Console
from mailer.web.staff.sessions import Session
from mailer.web.staff.signoff import approved_by, signoff_context

FRAME_PATH = "/preview/frame/{name}"
#: Where a phone mail app cuts the inbox line, as the supporter preview explains it.
INBOX_CUTS = {"sender": SENDER_CHARS, "subject": SUBJECT_CHARS, "preheader": PREHEADER_CHARS}


def issue_routes(console: Console) -> list[Route]:
    preview = Preview(console.project.root)
    return [
        Route("/staff/issues", _issues(console, preview), methods=["GET", "HEAD"]),
        Route("/staff/issues/{name}", _issue(console, preview), methods=["GET", "HEAD"]),
        Route("/staff" + FRAME_PATH, _frame(console), methods=["GET", "HEAD"]),
    ]


def _issues(console: Console, preview: Preview) -> Endpoint:
    @console.guard("view")
    async def issues(request: Request, session: Session) -> Response:
        project = preview.project()
        reports = await run_in_threadpool(check_paths, preview.files(), project)
        campaigns = {c.issue_id: c for c in list_campaigns(console.engine)}
        rows = [
            {
                "name": report.path.rsplit("/", 1)[-1],
                "report": report,
                "campaign": campaigns.get(report.issue.id) if report.issue else None,
                "approved_by": approved_by(console, report),
            }
            for report in reports.files
        ]
        context = {"rows": rows, "settings_problems": reports.settings_problems}
        return console.render(request, session, "issues.html.j2", context)

    return issues


def _issue(console: Console, preview: Preview) -> Endpoint:
    @console.guard("view")
    async def issue(request: Request, session: Session) -> Response:
        path = preview.find(request.path_params["name"])
        report = await run_in_threadpool(preview.report, path)
        campaign = get_campaign(console.engine, report.issue.id) if report.issue else None
        text = personalise(report.email.text, SAMPLE_VALUES) if report.email else ""
        context = {
            "name": path.name,
            "report": report,
            "campaign": campaign,
            "text": text,
            "inbox": inbox_line(report.email, text) if report.email else None,
            "cuts": INBOX_CUTS,
            **signoff_context(console, report),
        }
        return console.render(request, session, "issue.html.j2", context)

    return issue


def _frame(console: Console) -> Endpoint:
    """The preview's frame endpoint itself, behind the console's sign-in."""
    pages = console.supporters.pages
    frame = next(
        r.endpoint for r in preview_routes(console.project.root, pages) if r.path == FRAME_PATH
    )

    @console.guard("view")
    async def staff_frame(request: Request, session: Session) -> Response:
        response: Response = await frame(request)
        return response

    return staff_frame
