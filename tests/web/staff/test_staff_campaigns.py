"""The campaigns pages: progress as numbers and JSON, and actions with a confirmation step."""

from __future__ import annotations

import threading
from collections.abc import Callable

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from mailer.render.email import Email
from mailer.send.campaigns import get_campaign
from mailer.send.links import RecipientLinks
from mailer.send.sender import SendReport, send_campaign
from subscribers.audit import list_entries
from tests.fakesendgrid import FakeSendGrid
from tests.plugins.sendgrid import TEST_API_KEY, sendgrid_transport_for
from tests.plugins.sending import FakeClock, add_people, fast_options, open_test_campaign
from tests.plugins.staff import Console


def test_the_campaign_page_shows_the_ledger_counts_and_a_refresh_link(
    console: Console, sample_email: Email
) -> None:
    add_people(console.engine, 3)
    campaign = open_test_campaign(console.engine, sample_email)
    from mailer.send.campaigns import snapshot_audience

    snapshot_audience(console.engine, campaign, now=console.clock())
    http = console.client("ed@example.org", "editor")
    page = HTMLParser(http.get(f"/staff/campaigns/{campaign.id}").text)
    counts = {
        node.attributes["data-count"]: node.text(strip=True) for node in page.css("[data-count]")
    }
    assert counts["queued"] == "3"
    assert counts["accepted"] == "0"
    refresh = page.css_first(f'a[href="/staff/campaigns/{campaign.id}"]')
    assert refresh is not None
    assert refresh.text() == "Refresh"
    assert page.css_first('script[src="/staff/assets/console.js"]') is not None
    progress = http.get(f"/staff/campaigns/{campaign.id}/progress.json").json()
    assert progress["counts"]["queued"] == 3
    assert progress["status"] == "sending"


def test_an_editor_sees_no_actions_and_may_not_take_them(
    console: Console, sample_email: Email
) -> None:
    campaign = open_test_campaign(console.engine, sample_email)
    http = console.client("ed@example.org", "editor")
    page = http.get(f"/staff/campaigns/{campaign.id}").text
    assert "/pause" not in page
    assert http.get(f"/staff/campaigns/{campaign.id}/pause").status_code == 403


def test_pause_needs_a_confirmation_then_is_audited(console: Console, sample_email: Email) -> None:
    campaign = open_test_campaign(console.engine, sample_email)
    http = console.client("op@example.org", "operator")
    confirm = http.get(f"/staff/campaigns/{campaign.id}/pause")
    assert "Stop sending after the batches in flight?" in confirm.text
    found = get_campaign(console.engine, campaign.id)
    assert found is not None
    assert found.status == "sending"  # asking changes nothing
    answer = console.post(
        http, f"/staff/campaigns/{campaign.id}/pause", f"/staff/campaigns/{campaign.id}/pause"
    )
    assert answer.status_code == 303
    found = get_campaign(console.engine, campaign.id)
    assert found is not None
    assert (found.status, found.status_reason) == ("paused", "paused by a person")
    entry = list_entries(console.engine, limit=1)[0]
    assert (entry.who, entry.action, entry.detail) == (
        "staff:op@example.org",
        "campaign.pause",
        sample_email.issue_id,
    )


def test_pause_from_the_page_stops_a_running_send(
    console: Console,
    sample_email: Email,
    recipient_links: RecipientLinks,
    send_clock: FakeClock,
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
) -> None:
    add_people(console.engine, 30)
    server = fake_sendgrid_factory(api_key=TEST_API_KEY, hold_at=2)
    transport = sendgrid_transport_for(server)
    campaign = open_test_campaign(console.engine, sample_email)
    reports: list[SendReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            reports.append(
                send_campaign(
                    console.engine,
                    campaign,
                    transport,
                    recipient_links,
                    options=fast_options(batch_size=10, concurrency=1),
                    clock=send_clock,
                )
            )
        except BaseException as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)

    sender = threading.Thread(target=run)
    sender.start()
    try:
        assert server.held.wait(20), "the second batch never reached the server"
        http = console.client("op@example.org", "operator")
        page = f"/staff/campaigns/{campaign.id}/pause"
        assert console.post(http, page, page).status_code == 303
    finally:
        server.release()
        sender.join(30)
        transport.close()
    assert not errors
    assert reports[0].status == "paused"
    assert reports[0].counts["accepted"] == 20
    assert reports[0].counts["queued"] == 10


def test_a_move_that_makes_no_sense_changes_nothing(console: Console, sample_email: Email) -> None:
    campaign = open_test_campaign(console.engine, sample_email)
    http = console.client("op@example.org", "operator")
    page = f"/staff/campaigns/{campaign.id}/resume"
    answer = console.post(http, page, page)
    assert "Nothing%20changed" in answer.headers["location"]
    found = get_campaign(console.engine, campaign.id)
    assert found is not None
    assert found.status == "sending"


def test_progress_json_needs_a_session(console: Console, sample_email: Email) -> None:
    campaign = open_test_campaign(console.engine, sample_email)
    answer = console.new_client().get(f"/staff/campaigns/{campaign.id}/progress.json")
    assert answer.status_code == 401
    assert answer.json() == {"error": "Sign in needed"}
