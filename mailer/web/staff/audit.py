"""``GET /staff/audit``: the audit log, newest first, 50 a page (``?before=ID`` for older);
``GET /staff/accounts``: the staff accounts (admins only; changed with ``newsletter staff``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailer.web.pages import Endpoint
from mailer.web.staff.accounts import list_staff
from mailer.web.staff.console import Console
from mailer.web.staff.sessions import Session
from subscribers.audit import list_entries

PAGE = 50


def audit_routes(console: Console) -> list[Route]:
    return [
        Route("/staff/audit", _audit(console), methods=["GET", "HEAD"]),
        Route("/staff/accounts", _accounts(console), methods=["GET", "HEAD"]),
    ]


def _audit(console: Console) -> Endpoint:
    @console.guard("audit")
    async def audit(request: Request, session: Session) -> Response:
        before_text = request.query_params.get("before", "")
        before = int(before_text) if before_text.isdigit() else None
        entries = list_entries(console.engine, limit=PAGE + 1, before=before)
        older = entries[PAGE - 1].id if len(entries) > PAGE else None
        context = {"entries": entries[:PAGE], "older": older}
        return console.render(request, session, "audit.html.j2", context)

    return audit


def _accounts(console: Console) -> Endpoint:
    @console.guard("staff")
    async def accounts(request: Request, session: Session) -> Response:
        context = {"accounts": list_staff(console.engine)}
        return console.render(request, session, "accounts.html.j2", context)

    return accounts
