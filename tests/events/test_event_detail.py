"""SendGrid's ``bounce_classification`` and ``sg_machine_open``: stored, and in the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from mailer.cli import cli
from mailer.events.report import BounceClass, campaign_report
from mailer.events.store import record_events
from mailer.events.tables import events
from mailer.send.campaigns import get_campaign
from subscribers.db import read_connection
from tests.eventlog import NOW, SentCampaign, parsed, sent_campaign

ISSUE = "2026-12-research-news"
EXAMPLES = json.loads(
    (Path(__file__).parent.parent / "data" / "webhook" / "classified_events.json").read_text()
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


@pytest.fixture
def campaign(engine: Engine) -> SentCampaign:
    """Six deliveries: opens by people and by a proxy, bounces of three classes."""
    sent = sent_campaign(engine, 6, issue_id=ISSUE)
    bodies = [
        example(sent, 0, "open-person"),
        example(sent, 0, "open-machine"),
        example(sent, 1, "open-machine"),
        example(sent, 2, "bounce-invalid-address"),
        example(sent, 3, "bounce-invalid-address"),
        example(sent, 4, "blocked-reputation"),
        example(sent, 5, "blocked-reputation", bounce_classification="Technical"),
    ]
    record_events(engine, parsed(*bodies), now=NOW)
    return sent


def test_the_classification_and_the_machine_flag_are_stored(
    engine: Engine, campaign: SentCampaign
) -> None:
    with read_connection(engine) as connection:
        rows = connection.execute(
            select(events.c.sg_event_id, events.c.bounce_classification, events.c.machine_open)
        ).all()
    stored = {row.sg_event_id: (row.bounce_classification, row.machine_open) for row in rows}
    assert stored["bounce-invalid-address-2"] == ("Invalid Address", None)
    assert stored["blocked-reputation-4"] == ("Reputation", None)
    assert stored["open-person-0"] == (None, False)
    assert stored["open-machine-1"] == (None, True)


def test_machine_opens_are_never_counted_as_opens(engine: Engine, campaign: SentCampaign) -> None:
    found = get_campaign(engine, campaign.id)
    assert found is not None
    report = campaign_report(engine, found)
    assert (report.opened, report.opens, report.machine_opens) == (1, 1, 2)


def test_bounces_are_split_by_classification(engine: Engine, campaign: SentCampaign) -> None:
    found = get_campaign(engine, campaign.id)
    assert found is not None
    report = campaign_report(engine, found)
    assert report.bounce_classes == (
        BounceClass("Invalid Address", bounced=2, blocked=0),
        BounceClass("Reputation", bounced=0, blocked=1),
        BounceClass("Technical", bounced=0, blocked=1),
    )
    assert (report.bounced, report.blocked) == (2, 2)


def _report(db_url: str, tmp_path: Path, *args: str) -> str:
    env = {"NEWSLETTER_DATABASE_URL": db_url, "COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"}
    result = CliRunner().invoke(cli, ["--project", str(tmp_path), "report", ISSUE, *args], env=env)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_the_report_json_splits_bounces_and_counts_machine_opens_apart(
    db_url: str, campaign: SentCampaign, tmp_path: Path
) -> None:
    data = json.loads(_report(db_url, tmp_path, "--json"))
    assert (data["opened"], data["opens"], data["machine_opens"]) == (1, 1, 2)
    assert data["bounce_classes"][0] == {
        "classification": "Invalid Address",
        "bounced": 2,
        "blocked": 0,
    }


def test_the_report_table_shows_bounces_by_classification(
    db_url: str, campaign: SentCampaign, tmp_path: Path
) -> None:
    out = _report(db_url, tmp_path)
    assert "Bounces by classification" in out
    cells = {
        tuple(cell.strip() for cell in line.split("│")[1:-1])
        for line in out.splitlines()
        if line.count("│") == 4
    }
    assert ("Reputation", "0", "1") in cells
    assert ("machine opens (not counted)", "2", "") in cells


def test_an_event_without_a_classification_counts_as_unclassified(engine: Engine) -> None:
    sent = sent_campaign(engine, 1, issue_id=ISSUE)
    body = example(sent, 0, "bounce-invalid-address")
    del body["bounce_classification"]
    record_events(engine, parsed(body), now=NOW)
    found = get_campaign(engine, sent.id)
    assert found is not None
    assert campaign_report(engine, found).bounce_classes == (BounceClass("Unclassified", 1, 0),)
