"""``newsletter report``: the numbers of a campaign, from the ledger and the recorded events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from mailer.cli import cli
from mailer.events.report import BounceClass, CampaignReport, Link, campaign_report
from mailer.events.store import record_events
from mailer.send.campaigns import get_campaign
from mailer.send.states import DeliveryState
from subscribers.store import unsubscribe
from tests.eventlog import NOW, SentCampaign, event_for, parsed, sent_campaign

ISSUE = "2026-12-research-news"


@pytest.fixture
def reported(engine: Engine) -> SentCampaign:
    """Ten accepted deliveries, one unknown, and a spread of SendGrid events."""
    campaign = sent_campaign(engine, 10, issue_id=ISSUE)
    late = sent_campaign(engine, 1, issue_id="other-issue", start=100, list_id="other-list")
    a, b = "https://example.org/a", "https://example.org/b"
    bodies = [event_for(campaign, i, "delivered") for i in range(8)]
    bodies += [
        event_for(campaign, 0, "open", sg_event_id="o1"),
        event_for(campaign, 0, "open", sg_event_id="o2"),
        event_for(campaign, 1, "open", sg_event_id="o3"),
        event_for(campaign, 0, "click", sg_event_id="c1", url=a),
        event_for(campaign, 0, "click", sg_event_id="c2", url=a),
        event_for(campaign, 1, "click", sg_event_id="c3", url=a),
        event_for(campaign, 1, "click", sg_event_id="c4", url=b),
        event_for(campaign, 8, "bounce", type="bounce"),
        event_for(campaign, 9, "bounce", type="blocked"),
        event_for(campaign, 2, "spamreport"),
        event_for(campaign, 3, "unsubscribe"),
        event_for(campaign, 4, "group_unsubscribe"),
        event_for(campaign, 5, "deferred"),
        event_for(late, 0, "open"),  # another campaign's event
    ]
    record_events(engine, parsed(*bodies), now=NOW)
    return campaign


def test_the_report_counts_each_kind_of_event(engine: Engine, reported: SentCampaign) -> None:
    campaign = get_campaign(engine, reported.id)
    assert campaign is not None
    report = campaign_report(engine, campaign)
    assert report == CampaignReport(
        campaign_id=reported.id,
        issue_id=ISSUE,
        status="sending",
        reason=None,
        recipients=10,
        accepted=10,
        unknown=0,
        delivered=8,
        opened=2,
        opens=3,
        machine_opens=0,
        clicked=2,
        clicks=4,
        bounced=1,
        blocked=1,
        dropped=0,
        deferred=1,
        complained=1,
        unsubscribed=2,
        top_links=(Link("https://example.org/a", 2, 3), Link("https://example.org/b", 1, 1)),
        bounce_classes=(BounceClass("Unclassified", bounced=1, blocked=1),),
    )
    assert report.rate(report.opened) == 0.2


def test_unknown_deliveries_are_reported(engine: Engine) -> None:
    campaign = sent_campaign(engine, 3, outcome=DeliveryState.UNKNOWN)
    found = get_campaign(engine, campaign.id)
    assert found is not None
    report = campaign_report(engine, found)
    assert (report.accepted, report.unknown, report.rate(1)) == (0, 3, None)


def test_top_links_are_limited(engine: Engine, reported: SentCampaign) -> None:
    found = get_campaign(engine, reported.id)
    assert found is not None
    assert [link.url for link in campaign_report(engine, found, links=1).top_links] == [
        "https://example.org/a"
    ]


def _run(db_url: str, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {"NEWSLETTER_DATABASE_URL": db_url, "COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"}
    result = CliRunner().invoke(cli, ["--project", str(tmp_path), "report", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_report_json(db_url: str, engine: Engine, reported: SentCampaign, tmp_path: Path) -> None:
    code, out, _ = _run(db_url, tmp_path, ISSUE, "--json")
    data = json.loads(out)
    assert code == 0
    assert {k: data[k] for k in ("accepted", "delivered", "opened", "clicked", "bounced")} == {
        "accepted": 10,
        "delivered": 8,
        "opened": 2,
        "clicked": 2,
        "bounced": 1,
    }
    assert data["top_links"][0] == {"url": "https://example.org/a", "clickers": 2, "clicks": 3}


def test_report_table(db_url: str, engine: Engine, reported: SentCampaign, tmp_path: Path) -> None:
    code, out, _ = _run(db_url, tmp_path, str(reported.id))
    assert code == 0
    assert f"Campaign {ISSUE} (sending)" in out
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 2}
    assert "│ 2     │ 20.0%" in lines["opened (people)"]
    assert "│ 1     │ 10.0%" in lines["complained"]
    assert "https://example.org/a" in out


def test_report_of_an_issue_never_sent_fails_in_one_line(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    code, out, err = _run(db_url, tmp_path, "no-such-issue")
    assert (code, out) == (1, "")
    assert err == (
        "error: no campaign for issue 'no-such-issue'; `newsletter campaigns list` shows them\n"
    )


def test_settled_deliveries_count_as_accepted(engine: Engine) -> None:
    campaign = sent_campaign(engine, 2, outcome=DeliveryState.UNKNOWN)
    record_events(engine, parsed(event_for(campaign, 0, "processed")), now=NOW)
    found = get_campaign(engine, campaign.id)
    assert found is not None
    report = campaign_report(engine, found)
    assert (report.accepted, report.unknown) == (1, 1)


def test_campaigns_show_gives_the_pause_reason_and_event_counts(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    campaign = sent_campaign(engine, 1000, issue_id=ISSUE)
    complaints = [event_for(campaign, i, "spamreport") for i in range(4)]
    record_events(engine, parsed(*complaints), now=NOW)
    env = {"NEWSLETTER_DATABASE_URL": db_url, "COLUMNS": "200", "NO_COLOR": "1"}
    args = ["--project", str(tmp_path), "campaigns", "show", ISSUE]
    result = CliRunner().invoke(cli, [*args, "--json"], env=env)
    data = json.loads(result.stdout)
    assert data["status"] == "paused"
    assert data["reason"].startswith("paused automatically: complaint rate 0.40%")
    assert data["events"] == {"bounced": 0, "complained": 4, "unsubscribed": 0}
    table = CliRunner().invoke(cli, args, env=env).stdout
    assert "paused automatically: complaint rate 0.40%" in table
    assert "complained (events)" in table


def test_an_unsubscribe_by_link_and_by_event_counts_the_person_once(engine: Engine) -> None:
    """Unsubscribes from the email's own link and from SendGrid's events are distinct people."""
    campaign = sent_campaign(engine, 3, issue_id=ISSUE)
    source = f"campaign:{campaign.id}"
    both, link_only = campaign.deliveries[0], campaign.deliveries[1]
    for sent in (both, link_only):
        assert unsubscribe(engine, sent.subscriber_id, who="supporter", source=source)
    record_events(engine, parsed(event_for(campaign, 0, "unsubscribe")), now=NOW)
    found = get_campaign(engine, campaign.id)
    assert found is not None
    assert campaign_report(engine, found).unsubscribed == 2
