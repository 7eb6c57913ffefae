"""The report of a finished campaign is kept a few seconds; a sending one is counted afresh."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from mailer.events.store import record_events
from mailer.send.campaigns import set_status
from mailer.send.states import CampaignState
from mailer.web.staff.reports import KEEP
from tests.eventlog import NOW, SentCampaign, event_for, parsed, sent_campaign
from tests.plugins.staff import Console


def delivered(console: Console, campaign: SentCampaign, *indexes: int) -> None:
    bodies = [event_for(campaign, i, "delivered", sg_event_id=f"d{i}") for i in indexes]
    record_events(console.engine, parsed(*bodies), now=NOW)


def delivered_on_page(console: Console, campaign: SentCampaign) -> tuple[int, str]:
    http = console.client("ed@example.org", "editor")
    page = HTMLParser(http.get(f"/staff/campaigns/{campaign.id}/report").text)
    row = page.css_first("tr[data-key=delivered]")
    note = page.css_first("#counted-at")
    assert row is not None
    assert note is not None
    return int(row.css("td")[0].text()), note.text()


def finished(console: Console, count: int) -> SentCampaign:
    campaign = sent_campaign(console.engine, count)
    set_status(console.engine, campaign.id, CampaignState.SENT, now=NOW)
    return campaign


def test_a_finished_campaigns_numbers_are_kept_and_the_page_says_so(console: Console) -> None:
    campaign = finished(console, 3)
    delivered(console, campaign, 0)
    assert delivered_on_page(console, campaign)[0] == 1
    delivered(console, campaign, 1)
    count, note = delivered_on_page(console, campaign)
    assert count == 1
    assert f"kept for {int(KEEP.total_seconds())} seconds" in note


def test_a_finished_campaigns_numbers_are_counted_again_after_the_keep(
    console: Console,
) -> None:
    campaign = finished(console, 3)
    delivered(console, campaign, 0)
    delivered_on_page(console, campaign)
    delivered(console, campaign, 1)
    console.clock.now += KEEP
    count, note = delivered_on_page(console, campaign)
    assert count == 2
    assert "kept" not in note


def test_a_sending_campaigns_report_is_counted_on_each_view(console: Console) -> None:
    campaign = sent_campaign(console.engine, 3)
    delivered(console, campaign, 0)
    delivered_on_page(console, campaign)
    delivered(console, campaign, 1)
    assert delivered_on_page(console, campaign)[0] == 2
