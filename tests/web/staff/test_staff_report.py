"""The report page: its charts and tables agree with ``newsletter report --json``."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from mailer.cli import cli
from mailer.events.store import record_events
from tests.eventlog import NOW, SentCampaign, event_for, parsed, sent_campaign
from tests.plugins.staff import Console

DAY = int(timedelta(days=1).total_seconds())


def spread_events(console: Console) -> SentCampaign:
    """A sent campaign of ten with deliveries, opens, clicks, bounces and the rest."""
    campaign = sent_campaign(console.engine, 10)
    a, b = "https://example.org/a", "https://example.org/b"
    later = int(NOW.timestamp()) + 3600
    bodies = [event_for(campaign, i, "delivered") for i in range(8)]
    bodies += [
        event_for(campaign, 0, "open", sg_event_id="o1", timestamp=later),
        event_for(campaign, 1, "open", sg_event_id="o2", timestamp=later + DAY),
        event_for(campaign, 0, "click", sg_event_id="c1", url=a, timestamp=later),
        event_for(campaign, 0, "click", sg_event_id="c2", url=a, timestamp=later),
        event_for(campaign, 1, "click", sg_event_id="c3", url=b, timestamp=later + 2 * DAY),
        event_for(campaign, 8, "bounce", type="bounce"),
        event_for(campaign, 9, "bounce", type="blocked"),
        event_for(campaign, 2, "spamreport"),
        event_for(campaign, 3, "unsubscribe"),
    ]
    record_events(console.engine, parsed(*bodies), now=NOW)
    return campaign


def test_the_charts_and_tables_agree_with_report_json(
    console: Console, db_url: str, tmp_path: Path
) -> None:
    campaign = spread_events(console)
    env = {"NEWSLETTER_DATABASE_URL": db_url, "COLUMNS": "120", "NO_COLOR": "1"}
    result = CliRunner().invoke(
        cli, ["--project", str(tmp_path), "report", str(campaign.id), "--json"], env=env
    )
    expected = json.loads(result.stdout)
    http = console.client("ed@example.org", "editor")
    page = HTMLParser(http.get(f"/staff/campaigns/{campaign.id}/report").text)
    table = {
        str(row.attributes["data-key"]): int(row.css("td")[0].text())
        for row in page.css("tr[data-key]")
    }
    keys = ["accepted", "delivered", "opened", "clicked", "bounced", "blocked", "dropped"]
    keys += ["complained", "unsubscribed"]
    assert table == {key: expected[key] for key in keys}
    bars = {
        str(bar.attributes["data-label"]): int(str(bar.attributes["data-value"]))
        for bar in page.css("svg g.bar")
    }
    assert bars["delivered"] == expected["delivered"] == 8
    assert bars["bounced (hard)"] == expected["bounced"] == 1
    assert bars["blocked or expired"] == expected["blocked"] == 1
    assert bars["opened (people)"] == expected["opened"]
    links = expected["top_links"]
    assert bars["link 1: people"] == links[0]["clickers"]
    assert bars["link 1: clicks"] == links[0]["clicks"] == 2
    assert [bars[f"day {n}: clicks"] for n in (1, 2, 3, 4)] == [2, 0, 1, 0]
    assert [bars[f"day {n}: opens"] for n in (1, 2, 3)] == [1, 1, 0]


def test_each_bar_shows_its_label_and_number_as_text(console: Console) -> None:
    campaign = spread_events(console)
    http = console.client("ed@example.org", "editor")
    page = HTMLParser(http.get(f"/staff/campaigns/{campaign.id}/report").text)
    for svg in page.css("svg.chart"):
        assert svg.attributes["role"] == "img"
        assert svg.css_first("title") is not None
    for bar in page.css("svg g.bar"):
        texts = [t.text() for t in bar.css("text")]
        assert texts[0] == bar.attributes["data-label"]
        assert texts[1].replace(",", "") == bar.attributes["data-value"]
