"""The web app skeleton over HTTP: health, pages, security headers, error pages, size limits."""

# selectolax's css_first() returns Node | None; a missing node fails the test all the same.
# mypy: disable-error-code="union-attr"
from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp

from mailer.errors import MailerError, SettingsError
from mailer.settings import Project
from mailer.web import WebLimits, create_app

Serve = Callable[[ASGIApp], httpx.Client]


def test_healthz_answers_ok(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_home_page_wears_the_brand(client: httpx.Client) -> None:
    response = client.get("/")
    page = HTMLParser(response.text)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert page.css_first("html").attributes["lang"] == "en-GB"
    assert page.css_first("title").text() == "Research news – Ribbon Research Trust"
    assert page.css_first("img.logo").attributes["alt"] == "Ribbon Research Trust"
    assert "Registered charity 1234567" in page.css_first("footer").text()


def test_pages_have_a_skip_link_to_main(client: httpx.Client) -> None:
    page = HTMLParser(client.get("/").text)
    skip = page.css_first("a.skip-link")
    assert skip.attributes["href"] == "#main"
    assert page.css_first("main").attributes["id"] == "main"


def test_pages_have_no_inline_script_or_style(client: httpx.Client) -> None:
    page = HTMLParser(client.get("/").text)
    assert page.css("script") == []
    assert page.css("style") == []
    assert page.css("[style]") == []


def test_stylesheet_uses_brand_colours_and_focus_styles(client: httpx.Client) -> None:
    response = client.get("/assets/site.css")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert "--primary: #6b1f73;" in response.text
    assert ":focus-visible" in response.text


@pytest.mark.parametrize("path", ["/", "/healthz", "/assets/site.css", "/no-such-page"])
def test_security_headers_on_every_answer(client: httpx.Client, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["strict-transport-security"] == "max-age=31536000"


def test_favicon_is_the_brand_icon_on_every_page(client: httpx.Client) -> None:
    import xml.etree.ElementTree as ET

    icon = HTMLParser(client.get("/").text).css_first("link[rel=icon]")
    assert icon.attributes == {"rel": "icon", "href": "/favicon.svg", "type": "image/svg+xml"}
    response = client.get("/favicon.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    svg = ET.fromstring(response.text)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    fills = {node.get("fill") for node in svg.iter() if node.get("fill")}
    assert fills == {"#6b1f73", "#ffffff"}  # the brand's primary and button-text colours
    assert client.get("/favicon.ico", follow_redirects=False).headers["location"] == (
        "/favicon.svg"
    )
    # same origin, so the pages' policy (img-src 'self') allows it
    assert "img-src 'self'" in client.get("/").headers["content-security-policy"]


def test_preview_frames_may_be_framed_by_our_own_pages(client: httpx.Client) -> None:
    headers = client.get("/preview/frame/anything").headers
    assert "frame-ancestors 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "SAMEORIGIN"


def test_unknown_page_is_a_branded_404(client: httpx.Client) -> None:
    response = client.get("/no-such-page")
    page = HTMLParser(response.text)
    assert response.status_code == 404
    assert page.css_first("h1").text() == "Page not found"
    assert page.css_first("link[rel=stylesheet]").attributes["href"] == "/assets/site.css"


def test_json_clients_get_json_errors(client: httpx.Client) -> None:
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["error"] == "Page not found"


def test_wrong_method_is_405_with_allow(client: httpx.Client) -> None:
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


def _app_with_failing_route(project: Project, exc: Exception) -> Starlette:
    app = create_app(project, environ={})

    async def boom(request: object) -> None:
        raise exc

    app.router.routes.append(Route("/boom", boom))
    return app


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError("database password is hunter2"),
        MailerError("token key file /etc/secret-key is unreadable"),
        SettingsError("secret /srv/newsletter.yaml"),
    ],
)
def test_server_errors_never_leak_details(
    web_project: Project, serve: Serve, exc: Exception
) -> None:
    response = serve(_app_with_failing_route(web_project, exc)).get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    for leak in ("hunter2", "secret", "Traceback", type(exc).__name__):
        assert leak not in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_error_page_falls_back_when_templates_are_missing(
    web_project: Project, serve: Serve
) -> None:
    (web_project.root / "templates" / "web").unlink()
    response = serve(create_app(web_project, environ={})).get("/no-such-page")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text


def test_form_sized_body_limit_answers_413(client: httpx.Client) -> None:
    response = client.post("/", content=b"x" * (64 * 1024 + 1))
    assert response.status_code == 413
    assert HTMLParser(response.text).css_first("h1").text() == "Too large"


def test_body_within_form_limit_reaches_the_route(client: httpx.Client) -> None:
    # "/" accepts GET only: a body under the limit gets as far as the router's 405.
    assert client.post("/", content=b"x" * 1024).status_code == 405


def test_chunked_body_over_the_limit_answers_413(web_project: Project, serve: Serve) -> None:
    app = create_app(web_project, environ={}, limits=WebLimits(webhook_bytes=10_000))

    def body() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for _ in range(20):
            yield b"x" * 1000

    response = serve(app).post("/webhooks/sendgrid", content=body())
    assert response.status_code == 413
    assert response.json()["error"] == "Too large"
