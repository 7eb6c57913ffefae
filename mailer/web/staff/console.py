"""What the console's pages share: services, the guard on every route, rendering, audit.

:class:`Console` is built once per app. :meth:`Console.guard` wraps a handler so that it runs
only for a signed-in member of staff whose role allows the action (see
:data:`mailer.web.staff.accounts.ACTIONS`), and only with the session's CSRF token on a POST:
a request without a live session is sent to the sign-in page (JSON endpoints answer 401), a
role that may not is answered 403, a POST without the token raises ``CsrfRejected`` (403).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from mailer.clock import Clock
from mailer.config import Config
from mailer.send.proofs import display_zone, local_time
from mailer.settings import Project
from mailer.web.csrf import CsrfRejected
from mailer.web.forms import client_ip
from mailer.web.pages import Endpoint
from mailer.web.staff.accounts import ACTIONS
from mailer.web.staff.sessions import (
    COOKIE,
    COOKIE_PATH,
    Session,
    SessionKeys,
    Timeouts,
    load_session,
)
from mailer.web.supporters import Supporters
from subscribers.audit import record_action
from subscribers.db import write_transaction
from subscribers.keys import keys_from_env

if TYPE_CHECKING:
    from sqlalchemy import Engine

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSRF_FIELD = "csrf_token"
NO_STORE = {"Cache-Control": "no-store"}

Handler = Callable[[Request, Session], Awaitable[Response]]


class Console:
    """The services behind the console's pages; one per app."""

    def __init__(
        self,
        project: Project,
        supporters: Supporters,
        *,
        environ: Mapping[str, str],
        clock: Clock,
        dev_key: bool = False,
    ) -> None:
        self.project = project
        self.supporters = supporters
        self.environ = environ
        self.clock = clock
        self.dev_key = dev_key
        config = Config.from_environ(environ)
        self.timeouts = Timeouts(
            idle=timedelta(minutes=config.staff_idle_minutes),
            absolute=timedelta(hours=config.staff_session_hours),
        )
        self.secure_cookie = project.settings.base_url.startswith("https://")
        self._keys: SessionKeys | None = None
        self._lock = threading.Lock()
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=jinja2.select_autoescape(["html", "html.j2", "svg.j2"]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        settings = project.settings
        env.globals.update(settings=settings, organisation=settings.organisation)
        #: The charity's time zone (``timezone:`` in newsletter.yaml, else Europe/London),
        #: for the times staff read; stored times stay UTC.
        self.zone = display_zone(project)
        env.filters["local"] = self.local
        self.templates = env

    def local(self, when: datetime | str | None) -> str:
        """A stored time (or its ISO text, as exports hold it) in the charity's time zone."""
        if not when:
            return "–"
        if not isinstance(when, str):
            return local_time(when, self.zone)
        try:
            return local_time(datetime.fromisoformat(when), self.zone)
        except ValueError:
            return when

    @property
    def engine(self) -> Engine:
        return self.supporters.engine

    @property
    def keys(self) -> SessionKeys:
        with self._lock:
            if self._keys is None:
                self._keys = SessionKeys(keys_from_env(self.environ, allow_dev=self.dev_key)[0])
            return self._keys

    # --- sessions ----------------------------------------------------------------------------

    def session_for(self, request: Request) -> Session | None:
        token = self.keys.token_from_cookie(request.cookies.get(COOKIE, ""))
        if token is None:
            return None
        return load_session(self.engine, token, now=self.clock(), timeouts=self.timeouts)

    def set_cookie(self, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            self.keys.cookie_value(session.token),
            httponly=True,
            samesite="lax",
            secure=self.secure_cookie,
            path=COOKIE_PATH,
        )

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(
            COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=self.secure_cookie
        )

    def guard(self, action: str) -> Callable[[Handler], Endpoint]:
        """Wrap a handler: signed in, allowed ``action``, and a CSRF token on a POST."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")

        def wrap(handler: Handler) -> Endpoint:
            async def guarded(request: Request) -> Response:
                session = self.session_for(request)
                if session is None:
                    return self._sign_in_first(request)
                if not session.account.may(action):
                    raise HTTPException(403)
                if request.method != "POST":
                    return await handler(request, session)
                form = await request.form()  # parsed once: the handler's request.form() reuses it
                try:
                    if not self.keys.check_csrf(session, form.get(CSRF_FIELD)):
                        raise CsrfRejected("the form's security token does not match")
                    return await handler(request, session)
                finally:
                    await form.close()  # uploaded files' temporary files

            return guarded

        return wrap

    @staticmethod
    def _sign_in_first(request: Request) -> Response:
        if request.url.path.endswith(".json"):
            return JSONResponse({"error": "Sign in needed"}, status_code=401, headers=NO_STORE)
        target = request.url.path if request.method == "GET" else "/staff/"
        return RedirectResponse(f"/staff/login?next={quote(target)}", status_code=303)

    # --- pages -------------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        session: Session | None,
        template: str,
        context: Mapping[str, object] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        full: dict[str, object] = {
            "request_path": request.url.path,
            "me": session.account if session else None,
            "csrf_field": CSRF_FIELD,
            "csrf_token": self.keys.csrf_token(session) if session else "",
            "notice": self.notice(request, session),
            **(context or {}),
        }
        body = self.templates.get_template(template).render(full)
        return HTMLResponse(body, status_code=status_code, headers=NO_STORE)

    def redirect(self, session: Session | None, path: str, notice: str = "") -> RedirectResponse:
        """303 to ``path`` (a console page), with an optional one-line notice to show there,
        signed for ``session`` (None: for the signed-out pages)."""
        if not notice:
            return RedirectResponse(path, status_code=303)
        mac = self.keys.flash_mac(session, notice)
        return RedirectResponse(f"{path}?done={quote(notice)}&sig={mac}", status_code=303)

    def notice(self, request: Request, session: Session | None) -> str:
        """The page's notice: ``?done=`` only when signed here for this session."""
        message = request.query_params.get("done", "")
        sent = request.query_params.get("sig", "")
        if not message or not self.keys.check_flash(session, message, sent):
            return ""
        return message[:300]

    def audit(
        self,
        session: Session,
        action: str,
        *,
        detail: str = "",
        subject: str | None = None,
        count: int = 1,
    ) -> None:
        """One entry in the audit log, naming the member of staff."""
        with write_transaction(self.engine) as connection:
            record_action(
                connection,
                who=session.account.who,
                action=action,
                count=count,
                detail=detail,
                subject=subject,
                now=self.clock(),
            )

    def audit_anonymous(self, request: Request, action: str, detail: str) -> None:
        with write_transaction(self.engine) as connection:
            record_action(
                connection,
                who=f"web:staff ip={client_ip(request)}",
                action=action,
                count=1,
                detail=detail,
                now=self.clock(),
            )
