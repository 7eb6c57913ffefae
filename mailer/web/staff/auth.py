"""Signing in and out: ``GET/POST /staff/login``, ``POST /staff/logout``, ``GET /staff/``.

The sign-in form is protected like the supporter forms (the signed double-submit cookie of
:mod:`mailer.web.csrf`); once signed in, every POST carries the session's own token. A
refused sign-in shows the same words whatever was wrong (see :mod:`.accounts`); a lock-out
answers 429 with ``Retry-After``.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mailer.web.csrf import set_cookie
from mailer.web.forms import client_ip, text_field
from mailer.web.pages import Endpoint
from mailer.web.staff.accounts import authenticate
from mailer.web.staff.console import Console
from mailer.web.staff.errors import LockedOut, LoginRefused
from mailer.web.staff.sessions import Session, end_session, start_session

LOGIN_PATH = "/staff/login"


def auth_routes(console: Console) -> list[Route]:
    return [
        Route("/staff/", _home(console), methods=["GET", "HEAD"]),
        Route(LOGIN_PATH, _login_form(console), methods=["GET", "HEAD"]),
        Route(LOGIN_PATH, _login(console), methods=["POST"]),
        Route("/staff/logout", _logout(console), methods=["POST"]),
    ]


def _safe_next(value: str) -> str:
    """Only a console path of ours, never another site (``//evil``) or a login loop."""
    if value.startswith("/staff/") and not value.startswith(("//", LOGIN_PATH)):
        return value
    return "/staff/issues"


def _home(console: Console) -> Endpoint:
    async def home(request: Request) -> Response:
        return RedirectResponse("/staff/issues", status_code=303)

    return home


def _form_page(
    console: Console,
    request: Request,
    *,
    message: str = "",
    email: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    guard = console.supporters.csrf
    cookie, new = guard.cookie_for(request)
    context = {
        "login_token": guard.field_for(cookie, LOGIN_PATH),
        "message": message,
        "email": email,
        "next": _safe_next(request.query_params.get("next", "")),
        "notice": console.notice(request, None),
    }
    response = console.render(request, None, "login.html.j2", context, status_code=status_code)
    response.headers.update(headers or {})
    if new:
        set_cookie(response, request, cookie)
    return response


def _login_form(console: Console) -> Endpoint:
    async def login_form(request: Request) -> Response:
        if console.session_for(request) is not None:
            return RedirectResponse("/staff/issues", status_code=303)
        return _form_page(console, request)

    return login_form


def _login(console: Console) -> Endpoint:
    async def login(request: Request) -> Response:
        form = await request.form()
        console.supporters.csrf.check(request, form)
        email = text_field(form, "email", 254)
        password = form.get("password")
        password = password if isinstance(password, str) else ""
        try:
            account = await run_in_threadpool(
                authenticate,
                console.engine,
                email,
                password[:1024],
                ip=client_ip(request),
                now=console.clock(),
            )
        except LockedOut as exc:
            console.audit_anonymous(request, "staff.login_locked", "")
            headers = {"Retry-After": str(exc.retry_after)}
            return _form_page(
                console, request, message=str(exc), email=email, status_code=429, headers=headers
            )
        except LoginRefused as exc:
            console.audit_anonymous(request, "staff.login_failed", "")
            return _form_page(console, request, message=str(exc), email=email, status_code=400)
        session = start_session(console.engine, account, now=console.clock())
        console.audit(session, "staff.login", detail=f"ip={client_ip(request)}")
        response = RedirectResponse(_safe_next(text_field(form, "next", 300)), status_code=303)
        console.set_cookie(response, session)
        return response

    return login


def _logout(console: Console) -> Endpoint:
    @console.guard("view")
    async def logout(request: Request, session: Session) -> Response:
        end_session(console.engine, session.token)
        console.audit(session, "staff.logout")
        response = console.redirect(None, LOGIN_PATH, "You are signed out.")
        console.clear_cookie(response)
        return response

    return logout
