"""The campaign ledger on SQLite and PostgreSQL: freezing, snapshot, claims, leases, settling."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from mailer.errors import CampaignError
from mailer.render.email import Email
from mailer.send.campaigns import (
    HOST,
    delivery_ref,
    get_campaign,
    new_worker_id,
    parse_delivery_ref,
    snapshot_audience,
    start_campaign,
    worker_is_dead,
)
from mailer.send.deliveries import (
    claim_batch,
    delivery_counts,
    expire_leases,
    finish_if_done,
    resolve_unknown,
    settle_batch,
    settle_unknown_delivery,
    unknown_batches,
)
from mailer.send.lock import campaign_lock
from subscribers.store import mark_bounced, unsubscribe
from tests.plugins.sendgrid import make_email
from tests.plugins.sending import (
    LIST_ID,
    START,
    FakeClock,
    add_people,
    delivery_rows,
    open_test_campaign,
)

LEASE = timedelta(minutes=15)


def dead_worker_id() -> str:
    """A worker id naming a process of this host that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return f"{HOST}:{process.pid}:deadbeef"


def prepared(engine: Engine, email: Email) -> int:
    campaign = open_test_campaign(engine, email)
    snapshot_audience(engine, campaign, now=START)
    return int(campaign.id)


def test_a_campaign_freezes_its_email_when_it_starts(engine: Engine, sample_email: Email) -> None:
    first = start_campaign(engine, sample_email, transport="sendgrid", now=START)
    edited = make_email(subject="Edited after the start", html="<p>new</p>")
    again = start_campaign(engine, edited, transport="outbox", now=START + timedelta(hours=1))
    assert again.id == first.id
    assert again.email == sample_email
    assert again.subject == sample_email.subject
    assert again.transport == "sendgrid"


def test_the_audience_is_snapshotted_once(engine: Engine, sample_email: Email) -> None:
    add_people(engine, 3)
    campaign = open_test_campaign(engine, sample_email)
    assert snapshot_audience(engine, campaign, now=START) == 3
    add_people(engine, 2, start=100)
    assert snapshot_audience(engine, campaign, now=START) == 3
    assert len(delivery_rows(engine, campaign.id)) == 3


def test_the_snapshot_takes_only_active_subscribers_of_the_list(
    engine: Engine, sample_email: Email
) -> None:
    people = add_people(engine, 4)
    add_people(engine, 2, start=50, list_id="appeals")
    unsubscribe(engine, people[0].id, LIST_ID, who="test")
    mark_bounced(engine, people[1].id, who="test")
    campaign_id = prepared(engine, sample_email)
    rows = delivery_rows(engine, campaign_id)
    assert sorted(r.subscriber_id for r in rows) == sorted(p.id for p in people[2:])


def test_claims_never_overlap_and_end_with_none(engine: Engine, sample_email: Email) -> None:
    add_people(engine, 25)
    campaign_id = prepared(engine, sample_email)
    seen: list[int] = []
    while (
        batch := claim_batch(
            engine, campaign_id, worker_id=new_worker_id(), size=10, lease=LEASE, now=START
        )
    ) is not None:
        seen += [r.row_id for r in batch.recipients]
        assert len(batch.recipients) <= 10
    assert sorted(seen) == [r.id for r in delivery_rows(engine, campaign_id)]
    assert len(set(seen)) == 25
    assert delivery_counts(engine, campaign_id)["claimed"] == 25


def test_a_claim_after_a_row_skips_rows_before_it_and_from_zero_finds_them(
    engine: Engine, sample_email: Email
) -> None:
    add_people(engine, 6)
    campaign_id = prepared(engine, sample_email)
    first = claim_batch(engine, campaign_id, worker_id="w", size=3, lease=LEASE, now=START)
    assert first is not None
    settle_batch(engine, first.id, "queued", now=START)  # released: queued again
    last = first.recipients[-1].row_id
    later = claim_batch(
        engine, campaign_id, worker_id="w", size=10, lease=LEASE, now=START, after=last
    )
    assert later is not None
    assert all(r.row_id > last for r in later.recipients)
    assert len(later.recipients) == 3
    assert (
        claim_batch(
            engine,
            campaign_id,
            worker_id="w",
            size=10,
            lease=LEASE,
            now=START,
            after=later.recipients[-1].row_id,
        )
        is None
    )
    again = claim_batch(engine, campaign_id, worker_id="w", size=10, lease=LEASE, now=START)
    assert again is not None
    assert [r.row_id for r in again.recipients] == [r.row_id for r in first.recipients]


def test_a_claim_suppresses_who_left_since_the_snapshot(
    engine: Engine, sample_email: Email
) -> None:
    people = add_people(engine, 5)
    campaign_id = prepared(engine, sample_email)
    unsubscribe(engine, people[1].id, LIST_ID, who="test")
    mark_bounced(engine, people[3].id, who="test")
    batch = claim_batch(engine, campaign_id, worker_id="w", size=10, lease=LEASE, now=START)
    assert batch is not None
    assert [r.subscriber_id for r in batch.recipients] == [people[i].id for i in (0, 2, 4)]
    assert batch.suppressed == 2
    assert delivery_counts(engine, campaign_id)["suppressed"] == 2


def test_a_dead_local_workers_batch_becomes_unknown_at_once(
    engine: Engine, sample_email: Email
) -> None:
    add_people(engine, 4)
    campaign_id = prepared(engine, sample_email)
    worker = dead_worker_id()
    assert worker_is_dead(worker)
    claim_batch(engine, campaign_id, worker_id=worker, size=3, lease=LEASE, now=START)
    assert expire_leases(engine, campaign_id, now=START) == 3
    counts = delivery_counts(engine, campaign_id)
    assert (counts["unknown"], counts["queued"], counts["claimed"]) == (3, 1, 0)
    assert [b["size"] for b in unknown_batches(engine, campaign_id)] == [3]


def test_a_live_workers_batch_becomes_unknown_only_when_its_lease_runs_out(
    engine: Engine, sample_email: Email
) -> None:
    add_people(engine, 2)
    campaign_id = prepared(engine, sample_email)
    clock = FakeClock()
    claim_batch(engine, campaign_id, worker_id=new_worker_id(), size=5, lease=LEASE, now=clock())
    clock.advance(LEASE - timedelta(seconds=1))
    assert expire_leases(engine, campaign_id, now=clock()) == 0
    clock.advance(timedelta(seconds=2))
    assert expire_leases(engine, campaign_id, now=clock()) == 2


@pytest.mark.parametrize("other_host", ["elsewhere.example.org:1:abc", "garbage"])
def test_a_worker_on_another_host_is_never_presumed_dead(other_host: str) -> None:
    assert not worker_is_dead(other_host)
    assert not worker_is_dead(new_worker_id())  # this very process


def test_sendgrid_events_settle_unknown_deliveries(engine: Engine, sample_email: Email) -> None:
    add_people(engine, 3)
    campaign_id = prepared(engine, sample_email)
    batch = claim_batch(engine, campaign_id, worker_id="w", size=3, lease=LEASE, now=START)
    assert batch is not None
    settle_batch(engine, batch.id, "unknown", now=START, note="timeout")
    first, second, third = (delivery_ref(campaign_id, r.row_id) for r in batch.recipients)
    assert settle_unknown_delivery(engine, first, processed=True, now=START)
    assert settle_unknown_delivery(engine, second, processed=False, now=START)
    assert not settle_unknown_delivery(engine, first, processed=False, now=START)  # settled
    assert not settle_unknown_delivery(engine, "not-a-ref", processed=True, now=START)
    assert not settle_unknown_delivery(
        engine, delivery_ref(campaign_id + 1, batch.recipients[2].row_id), processed=True, now=START
    )
    counts = delivery_counts(engine, campaign_id)
    assert (counts["accepted"], counts["failed"], counts["unknown"]) == (1, 1, 1)
    assert parse_delivery_ref(third) == (campaign_id, batch.recipients[2].row_id)


def test_a_campaign_finishes_only_when_nothing_is_queued_or_claimed(
    engine: Engine, sample_email: Email
) -> None:
    add_people(engine, 2)
    campaign_id = prepared(engine, sample_email)
    batch = claim_batch(engine, campaign_id, worker_id="w", size=1, lease=LEASE, now=START)
    assert batch is not None
    settle_batch(engine, batch.id, "accepted", now=START, message_id="m1")
    assert not finish_if_done(engine, campaign_id, now=START)
    batch = claim_batch(engine, campaign_id, worker_id="w", size=1, lease=LEASE, now=START)
    assert batch is not None
    assert not finish_if_done(engine, campaign_id, now=START)
    settle_batch(engine, batch.id, "unknown", now=START)
    assert finish_if_done(engine, campaign_id, now=START)
    campaign = get_campaign(engine, campaign_id)
    assert campaign is not None
    assert campaign.status == "sent"


def test_resending_unknown_deliveries_reopens_a_sent_campaign(
    engine: Engine, sample_email: Email
) -> None:
    add_people(engine, 2)
    campaign_id = prepared(engine, sample_email)
    batch = claim_batch(engine, campaign_id, worker_id="w", size=5, lease=LEASE, now=START)
    assert batch is not None
    settle_batch(engine, batch.id, "unknown", now=START)
    finish_if_done(engine, campaign_id, now=START)
    assert resolve_unknown(engine, campaign_id, resend=True, now=START) == 2
    campaign = get_campaign(engine, campaign_id)
    assert campaign is not None
    assert campaign.status == "sending"
    assert delivery_counts(engine, campaign_id)["queued"] == 2
    assert unknown_batches(engine, campaign_id) == []


def test_the_campaign_lock_admits_one_holder_at_a_time(engine: Engine, sample_email: Email) -> None:
    campaign_id = prepared(engine, sample_email)
    clock = FakeClock()
    with (
        campaign_lock(engine, campaign_id, owner="first", clock=clock),
        pytest.raises(CampaignError, match="locked by another worker"),
        campaign_lock(engine, campaign_id, owner="second", clock=clock, wait=0.05),
    ):
        pass
    with campaign_lock(engine, campaign_id, owner="second", clock=clock, wait=0.05):
        pass


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="zombies are read from /proc")
def test_a_worker_that_ended_unreaped_is_dead() -> None:
    # a worker process whose parent died too stays a zombie where nobody reaps orphans (PID 1
    # in a container): it still answers kill(pid, 0), yet it sends nothing any more
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child ends at once
        os._exit(0)
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.005)
        assert worker_is_dead(f"{HOST}:{pid}:abcdef12")
    finally:
        os.waitpid(pid, 0)
    assert worker_is_dead(f"{HOST}:{pid}:abcdef12")  # reaped: gone
