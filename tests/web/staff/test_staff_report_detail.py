"""The report page's detail: bounces by SendGrid's classification (chart and table agreeing
with ``newsletter report --json``), machine opens apart, and clicks per story."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from mailer.cli import cli
from mailer.content.issue import load_issue
from mailer.events.report import Link
from mailer.events.store import record_events
from mailer.render.view import utm_content
from mailer.web.staff.stories import clicks_per_story
from tests.eventlog import NOW, SentCampaign, event_for, parsed, sent_campaign
from tests.plugins.staff import Console

ISSUE = "2026-12-secondary-research"
EXAMPLES = json.loads(
    (Path(__file__).parents[2] / "data" / "webhook" / "classified_events.json").read_text()
)


def example(campaign: SentCampaign, index: int, name: str, **extra: Any) -> dict[str, Any]:
    """SendGrid's example event ``name``, pointed at delivery ``index`` of ``campaign``."""
    sent = campaign.deliveries[index]
    return {
        **EXAMPLES[name],
        "email": sent.email,
        "delivery_id": sent.ref,
        "campaign_id": str(campaign.id),
        "sg_event_id": f"{name}-{index}",
        **extra,
    }


def tagged(content: str, page: str = "a") -> str:
    return f"https://example.org/{page}?utm_source=newsletter&utm_content={content}"


@pytest.fixture
def slugs(console: Console) -> list[str]:
    issue = load_issue(console.project.newsletters / f"{ISSUE}.yaml", console.project)
    return [utm_content(story) for story in issue.stories]


@pytest.fixture
def campaign(console: Console, slugs: list[str]) -> SentCampaign:
    """Eight deliveries: opens by people and by a proxy, bounces of three classes, and clicks
    on two stories (one through two links), the call to action and an untagged link."""
    sent = sent_campaign(console.engine, 8, issue_id=ISSUE)
    first, second = slugs[0], slugs[1]
    clicks = [
        (0, tagged(second)),
        (1, tagged(first)),
        (2, tagged(first, "b")),
        (3, tagged(first)),
        (4, tagged("cta")),
        (5, "https://example.org/untagged"),
    ]
    bodies = [
        example(sent, 0, "open-person"),
        example(sent, 0, "open-machine"),
        example(sent, 1, "open-machine"),
        example(sent, 2, "bounce-invalid-address"),
        example(sent, 3, "bounce-invalid-address"),
        example(sent, 4, "blocked-reputation"),
        example(sent, 5, "blocked-reputation", bounce_classification="Technical"),
    ]
    bodies += [
        event_for(sent, i, "click", sg_event_id=f"click-{n}", url=url)
        for n, (i, url) in enumerate(clicks)
    ]
    record_events(console.engine, parsed(*bodies), now=NOW)
    return sent


def report_json(campaign: SentCampaign, db_url: str, tmp_path: Path) -> dict[str, Any]:
    env = {"NEWSLETTER_DATABASE_URL": db_url, "COLUMNS": "120", "NO_COLOR": "1"}
    result = CliRunner().invoke(
        cli, ["--project", str(tmp_path), "report", str(campaign.id), "--json"], env=env
    )
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def page_of(console: Console, campaign: SentCampaign) -> HTMLParser:
    http = console.client("ed@example.org", "editor")
    return HTMLParser(http.get(f"/staff/campaigns/{campaign.id}/report").text)


def bars_of(page: HTMLParser, chart: str) -> dict[str, int]:
    return {
        str(bar.attributes["data-label"]): int(str(bar.attributes["data-value"]))
        for bar in page.css(f"svg#{chart} g.bar")
    }


def test_bounces_by_classification_agree_with_report_json(
    console: Console, campaign: SentCampaign, db_url: str, tmp_path: Path
) -> None:
    expected = report_json(campaign, db_url, tmp_path)["bounce_classes"]
    page = page_of(console, campaign)
    table = {
        str(row.attributes["data-class"]): [int(td.text()) for td in row.css("td")]
        for row in page.css("#table-classes tr[data-class]")
    }
    assert table == {
        c["classification"]: [c["bounced"], c["blocked"], c["bounced"] + c["blocked"]]
        for c in expected
    }
    bars = bars_of(page, "chart-classes")
    for c in expected:
        assert bars[f"{c['classification']}: hard"] == c["bounced"]
        assert bars[f"{c['classification']}: blocked"] == c["blocked"]
    assert {c["classification"] for c in expected} == {
        "Invalid Address",
        "Reputation",
        "Technical",
    }


def test_machine_opens_are_shown_apart_from_opens(
    console: Console, campaign: SentCampaign, db_url: str, tmp_path: Path
) -> None:
    expected = report_json(campaign, db_url, tmp_path)
    page = page_of(console, campaign)
    shown = {
        str(row.attributes["data-opens"]): int(row.css("td")[0].text())
        for row in page.css("#table-opens tr[data-opens]")
    }
    assert shown == {"opens": expected["opens"], "machine_opens": expected["machine_opens"]}
    assert (shown["opens"], shown["machine_opens"]) == (1, 2)
    assert bars_of(page, "chart-reach")["opened (people)"] == 1


def test_clicks_are_added_up_per_story_in_the_issues_order(
    console: Console, campaign: SentCampaign, slugs: list[str]
) -> None:
    page = page_of(console, campaign)
    rows = [
        (
            str(row.attributes["data-story"]),
            [int(td.text()) for td in row.css("td")],
        )
        for row in page.css("#table-stories tr[data-story]")
    ]
    assert rows == [
        (slugs[0], [2, 3]),
        (slugs[1], [1, 1]),
        ("cta", [1, 1]),
        ("https://example.org/untagged", [1, 1]),
    ]
    first = page.css_first(f'#table-stories tr[data-story="{slugs[0]}"] th')
    assert first is not None
    assert first.text(strip=True) == "Following breast cancer's route to the brain"
    assert "cannot be put to a story" in str(page.html)


@pytest.mark.parametrize(
    ("url", "key", "label"),
    [
        (tagged("a-story"), "a-story", "story “a-story”"),
        (tagged("logo"), "logo", "Logo (the charity's website)"),
        ("https://example.org/plain", "https://example.org/plain", "https://example.org/plain"),
        (tagged(""), tagged(""), tagged("")),
    ],
)
def test_without_the_issue_file_a_story_is_named_by_its_tag(url: str, key: str, label: str) -> None:
    (row,) = clicks_per_story([Link(url, 1, 3)], None)
    assert (row.key, row.label, row.clicks) == (key, label, 3)
