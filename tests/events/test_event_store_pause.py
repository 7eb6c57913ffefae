"""Auto-pause: complaints over 0.3% or hard bounces over 5% of 1,000+ accepted deliveries."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from mailer.events.alerts import PauseRules
from mailer.events.store import record_events
from mailer.send.campaigns import campaigns_to_resume, get_campaign, set_status
from mailer.send.states import CampaignState
from tests.eventlog import NOW, SentCampaign, event_for, parsed, sent_campaign


@pytest.fixture
def thousand(engine: Engine) -> SentCampaign:
    """A sending campaign with exactly 1,000 accepted deliveries (the minimum sample)."""
    return sent_campaign(engine, 1000)


def _complaints(campaign: SentCampaign, count: int) -> list[dict[str, object]]:
    return [event_for(campaign, i, "spamreport") for i in range(count)]


def _bounces(campaign: SentCampaign, count: int) -> list[dict[str, object]]:
    return [event_for(campaign, i, "bounce", type="bounce") for i in range(count)]


def test_complaints_over_the_limit_pause_the_campaign(
    engine: Engine, thousand: SentCampaign
) -> None:
    summary = record_events(engine, parsed(*_complaints(thousand, 4)), now=NOW)  # 0.4%
    campaign = get_campaign(engine, thousand.id)
    assert campaign is not None
    assert summary.paused == (campaign.issue_id,)
    assert (campaign.status, campaign.auto_resume) == (CampaignState.PAUSED, False)
    assert campaign.status_reason == (
        "paused automatically: complaint rate 0.40% (4 of 1000 accepted) is over 0.3%"
    )
    assert campaigns_to_resume(engine) == []  # scheduled runs leave it paused


def test_complaints_at_the_limit_do_not_pause(engine: Engine, thousand: SentCampaign) -> None:
    summary = record_events(engine, parsed(*_complaints(thousand, 3)), now=NOW)  # 0.3%
    campaign = get_campaign(engine, thousand.id)
    assert campaign is not None
    assert (summary.paused, campaign.status, campaign.status_reason) == (
        (),
        CampaignState.SENDING,
        None,
    )


def test_hard_bounces_over_the_limit_pause_the_campaign(
    engine: Engine, thousand: SentCampaign
) -> None:
    record_events(engine, parsed(*_bounces(thousand, 51)), now=NOW)  # 5.1%
    campaign = get_campaign(engine, thousand.id)
    assert campaign is not None
    assert campaign.status == CampaignState.PAUSED
    assert campaign.status_reason == (
        "paused automatically: hard-bounce rate 5.10% (51 of 1000 accepted) is over 5%"
    )


def test_hard_bounces_at_the_limit_do_not_pause(engine: Engine, thousand: SentCampaign) -> None:
    record_events(engine, parsed(*_bounces(thousand, 50)), now=NOW)  # 5.0%
    assert get_campaign(engine, thousand.id).status == CampaignState.SENDING  # type: ignore[union-attr]


def test_blocked_bounces_never_pause(engine: Engine, thousand: SentCampaign) -> None:
    blocked = [event_for(thousand, i, "bounce", type="blocked") for i in range(200)]
    record_events(engine, parsed(*blocked), now=NOW)
    assert get_campaign(engine, thousand.id).status == CampaignState.SENDING  # type: ignore[union-attr]


def test_the_limit_counts_events_across_batches(engine: Engine, thousand: SentCampaign) -> None:
    complaints = _complaints(thousand, 4)
    first = record_events(engine, parsed(*complaints[:3]), now=NOW)
    second = record_events(engine, parsed(*complaints), now=NOW)  # a retry plus one new
    assert (first.paused, second.recorded, len(second.paused)) == ((), 1, 1)


def test_a_small_campaign_is_not_judged(engine: Engine) -> None:
    small = sent_campaign(engine, 100)
    record_events(engine, parsed(*_complaints(small, 50)), now=NOW)
    assert get_campaign(engine, small.id).status == CampaignState.SENDING  # type: ignore[union-attr]


def test_the_minimum_sample_is_a_rule(engine: Engine) -> None:
    small = sent_campaign(engine, 100)
    rules = PauseRules(min_accepted=100)
    summary = record_events(engine, parsed(*_complaints(small, 1)), now=NOW, rules=rules)
    assert summary.paused == (small.campaign.issue_id,)


def test_a_sent_campaign_keeps_its_status_and_gets_the_alert(
    engine: Engine, thousand: SentCampaign
) -> None:
    set_status(engine, thousand.id, CampaignState.SENT, now=NOW)
    record_events(engine, parsed(*_complaints(thousand, 5)), now=NOW)
    campaign = get_campaign(engine, thousand.id)
    assert campaign is not None
    assert campaign.status == CampaignState.SENT
    assert campaign.status_reason == (
        "alert: complaint rate 0.50% (5 of 1000 accepted) is over 0.3%"
    )


def test_a_reason_given_by_a_person_is_kept(engine: Engine, thousand: SentCampaign) -> None:
    set_status(engine, thousand.id, CampaignState.PAUSED, now=NOW, reason="checking the list")
    record_events(engine, parsed(*_complaints(thousand, 5)), now=NOW)
    campaign = get_campaign(engine, thousand.id)
    assert campaign is not None
    assert (campaign.status, campaign.status_reason) == (CampaignState.PAUSED, "checking the list")
