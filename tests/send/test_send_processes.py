"""Real processes: a sender killed with SIGKILL mid-send, and two senders sharing a campaign.

The fake SendGrid server runs in the test process and holds one request until the test lets it
go (``hold_at``), so the tests know exactly when a sender is in the middle of a batch without
sleeping.
"""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from mailer.send.campaigns import delivery_ref, get_campaign
from mailer.send.deliveries import delivery_counts, unknown_batches
from mailer.send.tables import deliveries
from subscribers.db import read_connection
from tests.fakesendgrid import FakeSendGrid
from tests.plugins.sendgrid import TEST_API_KEY
from tests.plugins.sending import SAMPLE_ISSUE, add_people, delivery_rows, write_issue
from tests.processes import TIMEOUT, Spawner, wait_until


@pytest.fixture
def spawn(project_copy: Path, db_url: str) -> Iterator[Spawner]:
    """Start ``newsletter --project COPY …`` as a real process against the fake server."""
    spawner = Spawner(project_copy, db_url)
    yield spawner
    spawner.close()


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=TIMEOUT)
    return process.returncode, out + err


def test_a_sender_killed_mid_batch_never_sends_anyone_twice_and_reports_the_batch(
    engine: Engine,
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
    spawn: Callable[..., subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    people = add_people(engine, 1200)  # two batches: 1,000 + 200
    marker = tmp_path / "held.json"
    server = fake_sendgrid_factory(api_key=TEST_API_KEY, hold_at=1, hold_marker=marker)
    sender = spawn(server, "send", SAMPLE_ISSUE, "--yes", "--concurrency", "1")
    wait_until(lambda: server.held.is_set() or sender.poll() is not None, "the held request")
    assert sender.poll() is None, finish(sender)[1]
    assert marker.exists()
    sender.send_signal(signal.SIGKILL)
    sender.wait(TIMEOUT)
    assert sender.returncode == -signal.SIGKILL
    server.release()  # SendGrid took the held batch after all: it was accepted
    wait_until(lambda: len(server.accepted()) == 1, "the held batch to be recorded")
    held = set(server.accepted()[0].delivery_ids)
    assert len(held) == 1000

    code, output = finish(spawn(server, "send", SAMPLE_ISSUE, "--yes", "--concurrency", "1"))
    assert code == 3, output  # finished, with unknown deliveries
    assert "1000 deliveries have an unknown outcome and will not be resent" in output
    ids = Counter(server.accepted_delivery_ids())
    assert set(ids.values()) == {1}
    assert len(ids) == len(people)
    campaign = get_campaign(engine, SAMPLE_ISSUE)
    assert campaign is not None
    assert campaign.status == "sent"
    unknown = {
        delivery_ref(campaign.id, row.id)
        for row in delivery_rows(engine, campaign.id)
        if row.status == "unknown"
    }
    assert unknown == held
    assert [b["size"] for b in unknown_batches(engine, campaign.id)] == [1000]
    assert delivery_counts(engine, campaign.id)["accepted"] == 200


def _batch_workers(engine: Engine, campaign_id: int) -> Counter[str]:
    """Batches per process id (a worker id is ``host:pid:random``)."""
    with read_connection(engine) as connection:
        workers = connection.execute(
            select(deliveries.c.worker_id)
            .where(deliveries.c.campaign_id == campaign_id, deliveries.c.batch_id.is_not(None))
            .group_by(deliveries.c.batch_id, deliveries.c.worker_id)
        ).scalars()
        return Counter(worker.split(":")[1] for worker in workers)


def test_two_overlapping_due_runs_share_the_campaign_and_send_each_recipient_once(
    engine: Engine,
    project_copy: Path,
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
    spawn: Callable[..., subprocess.Popen[str]],
) -> None:
    people = add_people(engine, 3500)  # four batches
    issue = "2026-11-overlap"
    write_issue(project_copy, issue, send_at=datetime.now(UTC) - timedelta(minutes=1))
    server = fake_sendgrid_factory(api_key=TEST_API_KEY, hold_at=1)
    first = spawn(server, "send", "--due", "--concurrency", "1")
    wait_until(lambda: server.held.is_set() or first.poll() is not None, "the first batch")
    assert first.poll() is None, finish(first)[1]
    second = spawn(server, "send", "--due", "--concurrency", "1")
    wait_until(lambda: server.requests >= 2 or second.poll() is not None, "the second run")
    server.release()
    codes = [finish(first), finish(second)]
    assert [code for code, _ in codes] == [0, 0], "\n".join(o for _, o in codes)
    ids = Counter(server.accepted_delivery_ids())
    assert set(ids.values()) == {1}
    assert len(ids) == len(people)
    campaign = get_campaign(engine, issue)
    assert campaign is not None
    assert campaign.status == "sent"
    assert delivery_counts(engine, campaign.id)["accepted"] == len(people)
    workers = _batch_workers(engine, campaign.id)
    assert workers.keys() == {str(first.pid), str(second.pid)}
    assert sum(workers.values()) == 4
