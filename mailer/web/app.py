"""The web app, declared as data: routes, middleware and error handlers in one place.

``create_app(project)`` wires the pieces; each route's endpoint is built by a small factory in
its own module from exactly what it needs (pages, clock, keys, recorder), so nothing reads
global state. Secrets come from ``environ`` (``os.environ`` unless a test passes its own), read by
``mailer.config``.

Routes so far::

    GET  /                   home page
    GET  /healthz            {"status": "ok"}
    GET  /assets/site.css    the brand stylesheet
    GET  /favicon.svg        the brand icon (/favicon.ico redirects to it)
    GET  /media/{path}       images under newsletters/images/
    POST /webhooks/sendgrid  the signed Event Webhook
    GET/POST /subscribe, GET /confirm/{token}, GET/POST /link      signup (mailer.web.signup)
    GET/POST /u/{token}      unsubscribe, RFC 8058 one-click (mailer.web.unsubscribe)
    GET/POST /p/{token}      the preference centre (mailer.web.preferences)
    GET  /archive, /archive/{issue}, /feed.xml                    archive (mailer.web.archive)
    GET  /preview/…          the staff preview, only when NEWSLETTER_PREVIEW_PASSWORD is set
                             (HTTP Basic, a fallback off by default); ``create_preview_app``
                             serves it alone on 127.0.0.1
    /staff/…                 the staff console (mailer.web.staff): sign-in, roles, issues,
                             campaigns, reports, supporters, audit; ``create_console_app``
                             serves it alone (``newsletter console``)
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from mailer.clock import Clock, utc_now
from mailer.config import PREVIEW_PASSWORD, Config
from mailer.events.webhook import DEFAULT_WINDOW, load_public_key
from mailer.settings import Project
from mailer.web.errorpages import ErrorPages
from mailer.web.media import media_endpoint
from mailer.web.pages import Pages, favicon_endpoint, home_endpoint, stylesheet_endpoint
from mailer.web.preview import preview_routes, require_password
from mailer.web.routes import supporter_routes
from mailer.web.security import (
    BodySizeLimit,
    HeaderPolicy,
    SecurityHeaders,
    refuse_body,
    style_origin,
)
from mailer.web.staff.people import IMPORT_BYTES as STAFF_IMPORT_BYTES
from mailer.web.staff.people import IMPORT_PATH as STAFF_IMPORT_PATH
from mailer.web.staff.routes import staff_routes
from mailer.web.supporters import SignupLimits, Supporters
from mailer.web.webhook import EventRecorder, sendgrid_webhook_endpoint

WEBHOOK_PATH = "/webhooks/sendgrid"
PREVIEW_PASSWORD_ENV = PREVIEW_PASSWORD


@dataclass(frozen=True, slots=True)
class WebLimits:
    """Request size limits and the webhook's replay window."""

    webhook_bytes: int = 5 * 1024 * 1024
    form_bytes: int = 64 * 1024
    webhook_window: timedelta = DEFAULT_WINDOW
    signup: SignupLimits = field(default_factory=SignupLimits)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


def create_app(
    project: Project,
    *,
    engine_url: str | None = None,
    clock: Clock = utc_now,
    limits: WebLimits = WebLimits(),
    recorder: EventRecorder | None = None,
    environ: Mapping[str, str] | None = None,
    dev_key: bool = False,
) -> Starlette:
    """The Starlette app for ``project``.

    ``dev_key``: without ``NEWSLETTER_SECRET_KEY``, sign and check links with the fixed
    development-only key (the one ``newsletter quickstart`` signs with); never in production.

    ``recorder`` receives the verified events of each webhook request (until one is given the
    webhook answers 503, so SendGrid keeps them and retries). The staff preview is mounted
    only when ``NEWSLETTER_PREVIEW_PASSWORD`` is set, behind that password. Raises
    ``WebhookConfigError`` when ``SENDGRID_WEBHOOK_PUBLIC_KEY`` is set but is not a usable
    key, so a server never starts with a webhook that can only refuse.
    """
    env = os.environ if environ is None else environ
    config = Config.from_environ(env)
    key_text = config.webhook_public_key
    public_key = load_public_key(key_text) if key_text else None

    pages = Pages(project)
    routes = [
        *_common_routes(project, pages),
        Route("/", home_endpoint(pages), methods=["GET", "HEAD"], name="home"),
        Route(
            WEBHOOK_PATH,
            sendgrid_webhook_endpoint(public_key, recorder, clock, limits.webhook_window),
            methods=["POST"],
            name="sendgrid_webhook",
        ),
    ]
    supporter_pages, supporters = supporter_routes(
        project,
        pages,
        engine_url=engine_url,
        environ=env,
        clock=clock,
        limits=limits.signup,
        dev_key=dev_key,
    )
    routes.extend(supporter_pages)
    routes.extend(staff_routes(project, supporters, environ=env, clock=clock, dev_key=dev_key))
    if config.preview_password:
        routes.extend(
            require_password(preview_routes(project.root, pages), config.preview_password.reveal())
        )
    app = _assemble(project, pages, routes, limits)
    app.state.engine_url = engine_url
    app.state.supporters = supporters
    app.router.lifespan_context = _closing(supporters)
    return app


def _closing(
    supporters: Supporters,
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            supporters.close()

    return lifespan


def create_console_app(
    project: Project,
    *,
    engine_url: str | None = None,
    clock: Clock = utc_now,
    limits: WebLimits = WebLimits(),
    environ: Mapping[str, str] | None = None,
    dev_key: bool = False,
) -> Starlette:
    """The staff console alone (``newsletter console``): ``/staff/…`` and the shared assets."""
    env = os.environ if environ is None else environ
    Config.from_environ(env)  # a bad setting stops the start, not the first request
    pages = Pages(project)
    supporters = Supporters(
        project, pages, engine_url=engine_url, environ=env, clock=clock, dev_key=dev_key
    )
    routes = [
        *_common_routes(project, pages),
        Route("/", _redirect_to_console, methods=["GET", "HEAD"], name="home"),
        *staff_routes(project, supporters, environ=env, clock=clock, dev_key=dev_key),
    ]
    app = _assemble(project, pages, routes, limits)
    app.state.engine_url = engine_url
    app.state.supporters = supporters
    app.router.lifespan_context = _closing(supporters)
    return app


async def _redirect_to_console(request: Request) -> Response:
    return RedirectResponse("/staff/", status_code=303)


def create_preview_app(project: Project, *, limits: WebLimits = WebLimits()) -> Starlette:
    """The staff preview on its own, for ``newsletter preview`` on 127.0.0.1."""
    pages = Pages(project)
    routes = [
        *_common_routes(project, pages),
        Route("/", _redirect_to_preview, methods=["GET", "HEAD"], name="home"),
        *preview_routes(project.root, pages),
    ]
    return _assemble(project, pages, routes, limits)


async def _to_favicon(request: Request) -> Response:
    return RedirectResponse("/favicon.svg", status_code=301)


async def _redirect_to_preview(request: Request) -> Response:
    return RedirectResponse("/preview/", status_code=303)


def _common_routes(project: Project, pages: Pages) -> list[Route]:
    return [
        Route("/healthz", healthz, methods=["GET", "HEAD"], name="healthz"),
        Route("/assets/site.css", stylesheet_endpoint(pages), methods=["GET", "HEAD"], name="css"),
        Route("/favicon.svg", favicon_endpoint(pages), methods=["GET", "HEAD"], name="favicon"),
        Route("/favicon.ico", _to_favicon, methods=["GET", "HEAD"], name="favicon_ico"),
        Route(
            "/media/{path:path}",
            media_endpoint(project.images),
            methods=["GET", "HEAD"],
            name="media",
        ),
    ]


def _assemble(project: Project, pages: Pages, routes: list[Route], limits: WebLimits) -> Starlette:
    settings = project.settings
    policy = HeaderPolicy(
        extra_style_origins=style_origin(settings.brand.web_font),
        hsts=settings.base_url.startswith("https://"),
    )
    errors = ErrorPages(pages, policy)
    middleware = [
        Middleware(SecurityHeaders, policy=policy),
        Middleware(
            BodySizeLimit,
            limits=(("/webhooks/", limits.webhook_bytes), (STAFF_IMPORT_PATH, STAFF_IMPORT_BYTES)),
            default=limits.form_bytes,
            rejection=ExceptionMiddleware(refuse_body, handlers=errors.handlers()),
        ),
    ]
    app = Starlette(
        debug=False,
        routes=routes,
        middleware=middleware,
        exception_handlers=errors.handlers(),
    )
    app.state.project = project
    app.state.limits = limits
    return app
