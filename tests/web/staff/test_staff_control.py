"""Campaign control from the console goes through the same library as the CLI: a campaign
staged at SendGrid under a cancel window is cancelled (or paused) there too, against the fake
SendGrid server with a clock the app, the sender and the fake share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from mailer.render.email import Email
from mailer.send.campaigns import Campaign, get_campaign
from mailer.send.deliveries import delivery_counts
from mailer.send.links import RecipientLinks
from mailer.send.runs import send_issue
from mailer.send.window import Window
from mailer.transports.sendgrid import SendGridConfig
from mailer.transports.sendgrid_admin import SendGridAdmin
from subscribers.audit import list_entries
from tests.fakesendgrid import FakeSendGrid
from tests.plugins.sendgrid import TEST_API_KEY, sendgrid_transport_for
from tests.plugins.sending import add_people, fast_options, fast_retry
from tests.plugins.staff import STAFF_SECRET, Console
from tests.plugins.web import LiveServer
from tests.web.staff.test_staff_browser import sign_in

WINDOW = timedelta(minutes=15)


@pytest.fixture
def live(fake_sendgrid_factory: Callable[..., FakeSendGrid], clock: Any) -> FakeSendGrid:
    started = fake_sendgrid_factory(api_key=TEST_API_KEY)
    started.admin.schedule.clock = lambda: clock.now.timestamp()
    return started


@pytest.fixture
def api_key() -> str | None:
    return TEST_API_KEY


@pytest.fixture
def staff_env(tmp_path: Path, live: FakeSendGrid, api_key: str | None) -> dict[str, str]:
    """The console's environment names the fake SendGrid server (overrides the outbox one)."""
    env = {
        "NEWSLETTER_SECRET_KEY": STAFF_SECRET,
        "NEWSLETTER_TRANSPORT": "sendgrid",
        "SENDGRID_API_HOST": live.url,
        "SENDGRID_TIMEOUT": "10",
        "NEWSLETTER_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    if api_key is not None:
        env["SENDGRID_API_KEY"] = api_key
    return env


def _staged(
    console: Console, email: Email, live: FakeSendGrid, links: RecipientLinks, people: int
) -> Campaign:
    """A campaign sent in full under a cancel window: SendGrid holds it until send_at."""
    add_people(console.engine, people)
    admin = SendGridAdmin(
        SendGridConfig(api_key=TEST_API_KEY, host=live.url, timeout=5.0), policy=fast_retry()
    )
    options = fast_options(batch_size=2, concurrency=1, window=Window(WINDOW, admin))
    transport = sendgrid_transport_for(live)
    try:
        report = send_issue(
            console.engine, email, transport, links, clock=console.clock, options=options
        )
    finally:
        transport.close()
    assert report.status == "sent"
    campaign = get_campaign(console.engine, email.issue_id)
    assert campaign is not None
    assert campaign.sg_batch_id is not None
    return campaign


def _notice(console: Console, http: Any, location: str) -> str:
    node = HTMLParser(http.get(location).text).css_first(".notice")
    return node.text(strip=True) if node is not None else ""


def test_a_console_cancel_within_the_window_cancels_the_batch_at_sendgrid(
    console: Console, sample_email: Email, live: FakeSendGrid, recipient_links: RecipientLinks
) -> None:
    campaign = _staged(console, sample_email, live, recipient_links, people=3)
    batch = str(campaign.sg_batch_id)
    console.clock.now += timedelta(minutes=2)
    http = console.client("op@example.org", "operator")
    page = f"/staff/campaigns/{campaign.id}/cancel"
    answer = console.post(http, page, page)
    assert answer.status_code == 303
    assert live.admin.schedule.batches[batch] == "cancel"
    assert delivery_counts(console.engine, campaign.id)["cancelled"] == 3
    found = get_campaign(console.engine, campaign.id)
    assert found is not None
    assert found.status == "cancelled"
    said = _notice(console, http, answer.headers["location"])
    assert f"SendGrid cancelled batch {batch} before its send_at" in said
    assert "3 deliveries cancelled; nobody receives them" in said
    entry = list_entries(console.engine, limit=1)[0]
    assert (entry.action, entry.who) == ("campaign.cancel", "staff:op@example.org")


def test_a_console_cancel_in_sendgrids_last_minutes_says_sendgrid_has_it(
    console: Console, sample_email: Email, live: FakeSendGrid, recipient_links: RecipientLinks
) -> None:
    campaign = _staged(console, sample_email, live, recipient_links, people=2)
    console.clock.now += timedelta(minutes=6)  # 9 minutes before send_at
    http = console.client("op@example.org", "operator")
    page = f"/staff/campaigns/{campaign.id}/cancel"
    answer = console.post(http, page, page)
    said = _notice(console, http, answer.headers["location"])
    assert said.startswith("Nothing changed: the campaign is sent.")
    assert "SendGrid has it" in said
    found = get_campaign(console.engine, campaign.id)
    assert found is not None
    assert found.status == "sent"
    assert delivery_counts(console.engine, campaign.id)["accepted"] == 2


def test_the_campaign_page_offers_cancel_while_sendgrid_holds_the_batch(
    console: Console, sample_email: Email, live: FakeSendGrid, recipient_links: RecipientLinks
) -> None:
    campaign = _staged(console, sample_email, live, recipient_links, people=1)
    http = console.client("op@example.org", "operator")
    page = HTMLParser(http.get(f"/staff/campaigns/{campaign.id}").text)
    actions = {node.attributes["href"] for node in page.css(".actions a")}
    here = f"/staff/campaigns/{campaign.id}"
    assert actions == {f"{here}/pause", f"{here}/cancel"}
    staged = page.css_first('[data-field="sendgrid"]')
    assert staged is not None
    assert "SendGrid holds it" in staged.text()


@pytest.mark.parametrize("api_key", [None])
def test_without_a_sendgrid_key_the_console_says_so_and_changes_nothing(
    console: Console, sample_email: Email, live: FakeSendGrid, recipient_links: RecipientLinks
) -> None:
    campaign = _staged(console, sample_email, live, recipient_links, people=1)
    http = console.client("op@example.org", "operator")
    page = f"/staff/campaigns/{campaign.id}/cancel"
    answer = console.post(http, page, page)
    said = _notice(console, http, answer.headers["location"])
    assert said == "Nothing changed: SENDGRID_API_KEY is not set"
    found = get_campaign(console.engine, campaign.id)
    assert found is not None
    assert found.status == "sent"
    assert live.admin.schedule.batches[str(campaign.sg_batch_id)] != "cancel"


@pytest.mark.browser
def test_a_person_cancels_a_campaign_sendgrid_holds_and_reads_what_sendgrid_did(
    console: Console,
    sample_email: Email,
    live: FakeSendGrid,
    recipient_links: RecipientLinks,
    live_server: LiveServer,
    page: Page,
) -> None:
    campaign = _staged(console, sample_email, live, recipient_links, people=2)
    console.add("op@example.org", "operator", name="Olu Operator")
    base = live_server.base_url
    sign_in(page, base, "op@example.org")
    page.goto(f"{base}/staff/campaigns/{campaign.id}")
    page.click("a:has-text('Cancel for good')")
    page.click("button:has-text('Yes: Cancel for good')")
    page.wait_for_url(f"{base}/staff/campaigns/{campaign.id}?done=*")
    notice = page.text_content(".notice") or ""
    assert f"SendGrid cancelled batch {campaign.sg_batch_id} before its send_at" in notice
    assert page.text_content('[data-field="status"]') == "cancelled"
    assert live.admin.schedule.batches[str(campaign.sg_batch_id)] == "cancel"
