"""The preview's inbox line and dark-mode toggle, in headless Chromium."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page
from starlette.types import ASGIApp

from mailer.render.palette import dark_palette
from mailer.settings import Project
from mailer.web import create_preview_app
from tests.plugins.web import LiveServer, save_screenshot

pytestmark = pytest.mark.browser
Serve = Callable[[ASGIApp], httpx.Client]
ISSUE = "/preview/issue/2026-12-secondary-research.yaml"


def rgb(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def test_the_inbox_line_is_shown_above_the_email(
    page: Page, preview_project: Project, serve: Serve, live_server: LiveServer
) -> None:
    serve(create_preview_app(preview_project))
    page.goto(f"{live_server.base_url}{ISSUE}")
    line = page.locator(".inbox-line")
    assert line.locator(".inbox-sender").inner_text() == "Ribbon Research Trust"
    assert line.locator(".inbox-subject").inner_text() == "Research news: stopping secondary…"
    box = line.bounding_box()
    frame = page.locator("iframe").first.bounding_box()
    assert box is not None
    assert frame is not None
    assert box["width"] <= 375
    assert box["y"] + box["height"] <= frame["y"]  # seen before the email, as in an inbox
    save_screenshot(page, "preview-inbox-line")


def test_the_dark_toggle_shows_the_email_in_its_dark_palette(
    page: Page, preview_project: Project, serve: Serve, live_server: LiveServer
) -> None:
    serve(create_preview_app(preview_project))
    page.goto(f"{live_server.base_url}{ISSUE}?view=phone")
    body = page.frame_locator("iframe").locator("body")
    light = body.evaluate("e => getComputedStyle(e).backgroundColor")
    assert light == rgb(preview_project.settings.brand.colours.background)
    page.get_by_role("link", name="Dark", exact=True).click()
    page.wait_for_url("**scheme=dark")
    body = page.frame_locator("iframe").locator("body")
    dark = body.evaluate("e => getComputedStyle(e).backgroundColor")
    assert dark == rgb(dark_palette(preview_project.settings.brand.colours).background)
    assert "Dear Sam," in body.inner_text()
    save_screenshot(page, "preview-dark")
