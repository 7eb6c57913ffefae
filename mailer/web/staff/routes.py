"""The one module that assembles the console's routes from its route modules (the leaves).

``staff_routes`` is what :mod:`mailer.web.app` mounts under ``/staff``, beside the site's own
routes (``newsletter serve``) or alone (``newsletter console``).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailer.clock import Clock
from mailer.settings import Project
from mailer.web.pages import Endpoint
from mailer.web.staff.audit import audit_routes
from mailer.web.staff.auth import auth_routes
from mailer.web.staff.campaigns import campaign_routes
from mailer.web.staff.console import TEMPLATES, Console
from mailer.web.staff.issues import issue_routes
from mailer.web.staff.people import people_routes
from mailer.web.staff.reports import report_routes
from mailer.web.staff.signoff import signoff_routes
from mailer.web.supporters import Supporters

ASSETS = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}


def staff_routes(
    project: Project,
    supporters: Supporters,
    *,
    environ: Mapping[str, str],
    clock: Clock,
    dev_key: bool = False,
) -> list[Route]:
    console = Console(project, supporters, environ=environ, clock=clock, dev_key=dev_key)
    return [
        *auth_routes(console),
        *audit_routes(console),
        *issue_routes(console),
        *report_routes(console),  # before campaign_routes: …/{id}/report is not an action
        *campaign_routes(console),
        *people_routes(console),
        *signoff_routes(console),
        Route("/staff/assets/{name}", _asset(), methods=["GET", "HEAD"]),
    ]


def _asset() -> Endpoint:
    cache: dict[str, str] = {}

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        media_type = ASSETS.get(name)
        if media_type is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        if name not in cache:
            cache[name] = (TEMPLATES / name).read_text(encoding="utf-8")
        return Response(
            cache[name], media_type=media_type, headers={"Cache-Control": "public, max-age=300"}
        )

    return asset
