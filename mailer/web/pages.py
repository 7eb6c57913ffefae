"""Web pages: Jinja2 templates from ``templates/web/`` wearing the brand of newsletter.yaml.

Every page extends ``base.html.j2`` (skip link, header, main, footer with the charity's details)
and is styled by ``/assets/site.css``, rendered from ``site.css.j2`` with the brand colours, so
the CSP needs no inline styles or scripts; ``/favicon.svg`` is rendered from ``favicon.svg.j2``
the same way. Pages work without JavaScript.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from mailer.settings import Project

WEB_TEMPLATES = "web"

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Pages:
    """Renders the project's web templates; one instance per app."""

    project: Project
    environment: jinja2.Environment = field(init=False)

    def __post_init__(self) -> None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.project.templates / WEB_TEMPLATES),
            autoescape=jinja2.select_autoescape(["html", "html.j2"]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        settings = self.project.settings
        env.globals.update(
            settings=settings,
            organisation=settings.organisation,
            brand=settings.brand,
            lists=settings.lists,
            interests=settings.interests,
        )
        object.__setattr__(self, "environment", env)

    def render_text(self, name: str, context: Mapping[str, object] | None = None) -> str:
        return self.environment.get_template(name).render(context or {})

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, object] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        page = self.render_text(name, {"request_path": request.url.path, **(context or {})})
        return HTMLResponse(page, status_code=status_code, headers=headers)

    def stylesheet(self) -> str:
        return self.render_text("site.css.j2")

    def favicon(self) -> str:
        return self.render_text("favicon.svg.j2").strip() + "\n"


def plain_error_page(status_code: int, title: str, message: str, organisation: str) -> str:
    """The last-resort page when the templates themselves cannot be rendered."""
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        f"<title>{html.escape(title)} – {html.escape(organisation)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        f'<p>Error {status_code}. <a href="/">Return to the home page</a>.</p></html>'
    )


def stylesheet_endpoint(pages: Pages) -> Endpoint:
    """``GET /assets/site.css``: rendered on first request, then served from memory."""
    return _asset_endpoint(pages.stylesheet, "text/css; charset=utf-8")


def favicon_endpoint(pages: Pages) -> Endpoint:
    """``GET /favicon.svg``: the brand's icon (``favicon.svg.j2``), same origin for the CSP."""
    return _asset_endpoint(pages.favicon, "image/svg+xml")


def _asset_endpoint(render: Callable[[], str], media_type: str) -> Endpoint:
    cache: list[str] = []

    async def asset(request: Request) -> Response:
        if not cache:
            cache.append(render())
        return Response(
            cache[0], media_type=media_type, headers={"Cache-Control": "public, max-age=3600"}
        )

    return asset


def home_endpoint(pages: Pages) -> Endpoint:
    """``GET /``: what the newsletter is, with links to the public pages."""

    async def home(request: Request) -> Response:
        return pages.render(request, "home.html.j2")

    return home
