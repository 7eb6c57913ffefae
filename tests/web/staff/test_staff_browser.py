"""The staff console in headless Chromium: what a person clicks, and a screenshot of each page
at a phone (375 px) and a desktop (1280 px) width in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from mailer.render.email import Email
from mailer.send.campaigns import get_campaign, snapshot_audience
from mailer.send.tables import deliveries
from subscribers.db import write_transaction
from subscribers.keys import AddressHasher
from subscribers.records import Consent, get_by_email
from subscribers.store import subscribe
from tests.plugins.sending import add_people, open_test_campaign
from tests.plugins.staff import PASSWORD, STAFF_SECRET, Console
from tests.plugins.web import ARTIFACTS, LiveServer, save_screenshot
from tests.web.staff.test_staff_report import spread_events

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 375, "desktop": 1280}


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/staff/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/staff/issues")


def save_tall_screenshot(page: Page, name: str, width: int) -> None:
    """A whole-page screenshot with the preview's frames drawn in them.

    The frames are sandboxed, so Chromium runs them in a process of their own, and a
    ``full_page`` screenshot (drawn beyond the viewport) leaves such frames blank below the
    first screenful. A viewport as tall as the page, then a plain screenshot, draws them.
    """
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": width, "height": height})
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size({"width": width, "height": 900})


@pytest.fixture
def csp_errors(page: Page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda message: found.append(message.text) if message.type == "error" else None,
    )
    return found


def test_sign_in_pause_and_live_progress(
    console: Console,
    live_server: LiveServer,
    page: Page,
    sample_email: Email,
    csp_errors: list[str],
) -> None:
    add_people(console.engine, 4)
    campaign = open_test_campaign(console.engine, sample_email)
    snapshot_audience(console.engine, campaign, now=console.clock())
    console.add("op@example.org", "operator", name="Olu Operator")
    base = live_server.base_url
    sign_in(page, base, "op@example.org")
    page.goto(f"{base}/staff/campaigns/{campaign.id}")
    assert page.text_content('[data-count="queued"]') == "4"
    with write_transaction(console.engine) as connection:
        connection.execute(
            update(deliveries)
            .where(deliveries.c.campaign_id == campaign.id)
            .values(status="accepted")
        )
    # no reload: the page's script polls the JSON endpoint under the strict CSP
    expect(page.locator('[data-count="accepted"]')).to_have_text("4", timeout=10_000)
    page.click("a:has-text('Pause')")
    page.click("button:has-text('Yes: Pause')")
    page.wait_for_url(f"{base}/staff/campaigns/{campaign.id}?done=*")
    assert page.text_content('[data-field="status"]') == "paused"
    found = get_campaign(console.engine, campaign.id)
    assert found is not None
    assert found.status == "paused"
    assert csp_errors == []


def test_forget_from_the_page(
    console: Console, live_server: LiveServer, page: Page, csp_errors: list[str]
) -> None:
    subscribe(
        console.engine,
        "ann@example.org",
        "research-news",
        consent=Consent(source="form"),
        hasher=AddressHasher((STAFF_SECRET.encode(),)),
        who="test",
        confirmed=True,
        now=console.clock(),
    )
    console.add("op@example.org", "operator")
    base = live_server.base_url
    sign_in(page, base, "op@example.org")
    page.click("a:has-text('Supporters')")
    page.fill("#email", "ann@example.org")
    page.click("button:has-text('Find')")
    page.click("#results a")
    page.fill("#confirm", "ann@example.org")
    page.click("button:has-text('Forget them')")
    page.wait_for_url(f"{base}/staff/supporters?done=*")
    assert "Forgotten" in (page.text_content(".notice") or "")
    assert get_by_email(console.engine, "ann@example.org") is None
    assert csp_errors == []


def _populate(console: Console) -> tuple[int, str]:
    """A campaign with a report, a supporter and an audit trail to photograph."""
    campaign = spread_events(console)
    subscribe(
        console.engine,
        "ann@example.org",
        "research-news",
        consent=Consent(source="form", wording="Yes, email me research news"),
        hasher=AddressHasher((STAFF_SECRET.encode(),)),
        who="test",
        first_name="Ann",
        confirmed=True,
        now=console.clock(),
    )
    found = get_by_email(console.engine, "ann@example.org")
    return campaign.id, found.public_id if found else ""


@pytest.mark.parametrize("view", list(WIDTHS))
def test_screenshots_of_each_page(
    console: Console,
    live_server: LiveServer,
    browser: Browser,
    view: str,
) -> None:
    campaign_id, ann = _populate(console)
    console.add("admin@example.org", "admin", name="Alex Admin")
    base = live_server.base_url
    context = browser.new_context(viewport={"width": WIDTHS[view], "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{base}/staff/login")
        save_screenshot(page, f"staff-login-{view}")
        sign_in(page, base, "admin@example.org")
        pages = {
            "issues": "/staff/issues",
            "issue": "/staff/issues/2026-12-secondary-research.yaml",
            "campaigns": "/staff/campaigns",
            "campaign": f"/staff/campaigns/{campaign_id}",
            "confirm": f"/staff/campaigns/{campaign_id}/pause",
            "report": f"/staff/campaigns/{campaign_id}/report",
            "supporters": "/staff/supporters",
            "supporter": f"/staff/supporters/{ann}",
            "import": "/staff/supporters/import",
            "audit": "/staff/audit",
            "accounts": "/staff/accounts",
        }
        for name, path in pages.items():
            answer = page.goto(f"{base}{path}")
            assert answer is not None
            assert answer.status == 200, path
            # nothing wider than the window: the page works at a phone's width
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{path} is {overflow}px wider than the window"
            page.wait_for_load_state("networkidle")  # the preview's frames too
            if name == "issue":
                save_tall_screenshot(page, f"staff-{name}-{view}", WIDTHS[view])
            else:
                save_screenshot(page, f"staff-{name}-{view}")
    finally:
        context.close()
