"""What a person sees, in headless Chromium: the preview at both widths, keyboard use."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page
from starlette.applications import Starlette
from starlette.types import ASGIApp

from mailer.settings import Project
from mailer.web import create_preview_app
from tests.plugins.web import LiveServer, save_screenshot

pytestmark = pytest.mark.browser
Serve = Callable[[ASGIApp], httpx.Client]


@pytest.mark.parametrize(("view", "width"), [("phone", 375), ("desktop", 600)])
def test_preview_frame_has_its_width(
    page: Page,
    preview_project: Project,
    serve: Serve,
    live_server: LiveServer,
    view: str,
    width: int,
) -> None:
    serve(create_preview_app(preview_project))
    page.goto(f"{live_server.base_url}/preview/issue/2026-12-secondary-research.yaml?view={view}")
    page.locator("iframe").wait_for()
    frame = page.frame_locator("iframe")
    assert "secondary" in frame.locator("body").inner_text().lower()
    assert frame.locator("html").evaluate("() => window.innerWidth") == width
    save_screenshot(page, f"preview-{view}")


def test_skip_link_is_the_first_tab_stop(
    page: Page, web_app: Starlette, serve: Serve, live_server: LiveServer
) -> None:
    serve(web_app)
    page.goto(f"{live_server.base_url}/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    assert page.locator("a.skip-link").bounding_box() is not None
    save_screenshot(page, "home-skip-link-focused")


def test_error_page_renders_styled(
    page: Page, web_app: Starlette, serve: Serve, live_server: LiveServer
) -> None:
    serve(web_app)
    response = page.goto(f"{live_server.base_url}/nowhere")
    assert response is not None
    assert response.status == 404
    colour = page.eval_on_selector("h1", "e => getComputedStyle(e).color")
    assert colour == "rgb(107, 31, 115)"  # brand primary #6b1f73: the stylesheet loaded under CSP
    save_screenshot(page, "error-404")
