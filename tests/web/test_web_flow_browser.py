"""A supporter's whole journey in headless Chromium against ``newsletter serve``, without JS.

Sign up → open the confirmation link from the outbox → receive a real campaign (``newsletter
send``) → follow its unsubscribe link and press the button → change preferences. The server is
a subprocess on a free 127.0.0.1 port whose ``base_url`` points at itself, so every link is
followed exactly as it appears in the ``.eml`` files. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from mailer.settings import load_project
from subscribers.db import get_engine
from subscribers.store import Subscriber, get_by_email
from tests.plugins.supporters import links_in, read_eml, text_of
from tests.plugins.web import save_screenshot
from tests.serving import NEWSLETTER, free_port, running_serve

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ISSUE = "2026-12-secondary-research"


@dataclass(frozen=True)
class Served:
    base_url: str
    root: Path
    outbox: Path
    env: dict[str, str]

    def newsletter(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(NEWSLETTER), "--project", str(self.root), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def subscriber(self, address: str) -> Subscriber:
        engine = get_engine(self.env["NEWSLETTER_DATABASE_URL"])
        try:
            found = get_by_email(engine, address)
        finally:
            engine.dispose()
        assert found is not None
        return found

    def eml(self, folder: str) -> Path:
        [path] = sorted((self.outbox / folder).glob("*.eml"))
        return path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    root = tmp_path / "project"
    root.mkdir()
    settings = (REPO / "newsletter.yaml").read_text(encoding="utf-8")
    settings = re.sub(r"(?m)^base_url: .*$", f"base_url: {base_url}", settings)
    (root / "newsletter.yaml").write_text(settings, encoding="utf-8")
    shutil.copytree(REPO / "newsletters", root / "newsletters")
    (root / "templates").symlink_to(REPO / "templates", target_is_directory=True)
    assert load_project(root).settings.base_url == base_url
    outbox = tmp_path / "outbox"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "SENDGRID_"))}
    env.update(
        NEWSLETTER_SECRET_KEY="browser-test-secret-key-0123456789",
        NEWSLETTER_OUTBOX_DIR=str(outbox),
        NEWSLETTER_DATABASE_URL=f"sqlite:///{tmp_path / 'newsletter.db'}",
        NO_COLOR="1",
        COLUMNS="100",
    )
    with running_serve(root, port, env):
        yield Served(base_url, root, outbox, env)


@pytest.fixture
def no_js_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 800, "height": 900}, java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_sign_up_confirm_unsubscribe_and_change_preferences(
    served: Served, no_js_page: Page
) -> None:
    sign_up_and_confirm(served, no_js_page)
    campaign = send_and_unsubscribe(served, no_js_page)
    change_preferences(served, no_js_page)
    read_the_archive(served, no_js_page, campaign)


def sign_up_and_confirm(served: Served, page: Page) -> None:
    """1. Sign up: the consent box starts unticked; labels are clickable."""
    page.goto(f"{served.base_url}/subscribe")
    expect(page.get_by_label("I would like")).not_to_be_checked()
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Research news").check()
    page.get_by_label("Clinical trials").check()
    page.get_by_label("I would like").check()
    save_screenshot(page, "flow-1-signup-form")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    save_screenshot(page, "flow-2-check-inbox")
    assert served.subscriber("ada@example.com").status == "pending"

    # the confirmation link from the outbox
    [confirm_url] = links_in(read_eml(served.eml("notice-confirm")), "/confirm/")
    page.goto(confirm_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are signed up")
    save_screenshot(page, "flow-3-confirmed")
    assert served.subscriber("ada@example.com").status == "active"
    assert "Welcome, Ada" in text_of(read_eml(served.eml("notice-welcome")))


def send_and_unsubscribe(served: Served, page: Page) -> EmailMessage:
    """3. A real campaign to the outbox; follow its List-Unsubscribe link and press the button."""
    sent = served.newsletter("send", ISSUE, "--yes")
    assert sent.returncode == 0, sent.stderr
    campaign = read_eml(served.eml(ISSUE))
    assert campaign["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = str(campaign["List-Unsubscribe"]).strip("<>")
    assert unsubscribe_url.startswith(f"{served.base_url}/u/")
    assert "Ada" in text_of(campaign)
    page.goto(unsubscribe_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe from Research news?")
    assert served.subscriber("ada@example.com").lists["research-news"] == "active"  # GET: no-op
    save_screenshot(page, "flow-4-unsubscribe-page")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    save_screenshot(page, "flow-5-unsubscribed")
    assert served.subscriber("ada@example.com").lists["research-news"] == "unsubscribed"
    return campaign


def change_preferences(served: Served, page: Page) -> None:
    """4. Changed their mind: the preference centre, linked from the thanks page."""
    page.get_by_role("link", name="Changed your mind? Choose what you receive").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email preferences")
    expect(page.get_by_label("Research news")).not_to_be_checked()
    page.get_by_label("First name").fill("Augusta")
    page.get_by_label("Appeals and fundraising").check()
    page.get_by_label("Clinical trials").uncheck()
    page.get_by_label("New treatments").check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_have_text("Your choices are saved.")
    save_screenshot(page, "flow-6-preferences-saved")
    now = served.subscriber("ada@example.com")
    assert now.first_name == "Augusta"
    assert now.lists == {"research-news": "unsubscribed", "appeals": "active"}
    assert now.interests == {"treatment"}


def read_the_archive(served: Served, page: Page, campaign: EmailMessage) -> None:
    """5. The web version of the issue just sent, as the view-in-browser link shows it."""
    page.goto(f"{served.base_url}/archive")
    page.get_by_role("link", name=campaign["Subject"]).click()
    content = page.content()
    assert "in your browser" not in content  # a page for anyone: no greeting, a signup link
    assert page.get_by_role("link", name="Get research news by email: sign up").count() == 1
    assert "%%" not in content
    assert "Augusta" not in content
    save_screenshot(page, "flow-7-archive-issue")


def test_keyboard_reaches_every_signup_field_in_order(served: Served, page: Page) -> None:
    page.goto(f"{served.base_url}/subscribe")
    order = []
    for _ in range(15):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.innerText"))
    assert order[0] == "Skip to main content"
    assert order[2:5] == ["email", "first_name", "list-research-news"]
    assert order[-3:] == ["our privacy notice", "consent", "Sign up"]
    assert "website" not in order  # the honeypot is out of the tab order
    page.get_by_label("Email address").focus()
    outline = page.eval_on_selector("#email", "e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"
    save_screenshot(page, "flow-signup-focus")
