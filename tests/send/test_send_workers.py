"""``send --workers N``: forked worker processes share one campaign; nobody is sent twice.

In-process tests fork the test process itself (the fake server's threads stay in the parent);
the kill test runs the real CLI in its own session and kills every one of its processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, select

from mailer.render.email import Email
from mailer.send.batch_loop import SendOptions, Shared
from mailer.send.campaigns import delivery_ref, get_campaign
from mailer.send.deliveries import delivery_counts
from mailer.send.links import RecipientLinks
from mailer.send.sender import StoppedSending, send_campaign, worker_processes
from mailer.send.tables import deliveries
from mailer.send.workers import (
    WorkerFailed,
    WriteTurn,
    child_main,
    describe_error,
    rebuild_error,
)
from mailer.transports.errors import AuthFailed, Rejected
from subscribers.db import read_connection
from tests.fakesendgrid import FakeSendGrid, FaultPlan
from tests.plugins.sendgrid import TEST_API_KEY, sendgrid_transport_for
from tests.plugins.sending import (
    SAMPLE_ISSUE,
    FakeClock,
    add_people,
    delivery_rows,
    fast_options,
    open_test_campaign,
)
from tests.processes import TIMEOUT, Spawner, wait_until


def _worker_pids(engine: Engine, campaign_id: int) -> Counter[str]:
    """Batches per process id (a worker id is ``host:pid:random``)."""
    with read_connection(engine) as connection:
        workers = connection.execute(
            select(deliveries.c.worker_id)
            .where(deliveries.c.campaign_id == campaign_id, deliveries.c.batch_id.is_not(None))
            .group_by(deliveries.c.batch_id, deliveries.c.worker_id)
        ).scalars()
        return Counter(worker.split(":")[1] for worker in workers)


def test_three_worker_processes_share_a_campaign_and_reach_everyone_once(
    engine: Engine,
    sample_email: Email,
    recipient_links: RecipientLinks,
    send_clock: FakeClock,
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
) -> None:
    people = add_people(engine, 900)
    server = fake_sendgrid_factory(api_key=TEST_API_KEY, plan=FaultPlan(seed=5, rate429=0.05))
    transport = sendgrid_transport_for(server)
    campaign = open_test_campaign(engine, sample_email)
    progress: list[int] = []
    lock = threading.Lock()

    def advance(n: int) -> None:
        with lock:
            progress.append(n)

    try:
        report = send_campaign(
            engine,
            campaign,
            transport,
            recipient_links,
            options=fast_options(batch_size=25, concurrency=2, workers=3),
            clock=send_clock,
            progress=advance,
        )
    finally:
        transport.close()
    ids = Counter(server.accepted_delivery_ids())
    assert set(ids.values()) == {1}
    assert set(ids) == {
        delivery_ref(campaign.id, row.id) for row in delivery_rows(engine, campaign.id)
    }
    assert len(ids) == len(people)
    assert report.status == "sent"
    assert report.counts["accepted"] == len(people) == report.sent_now == sum(progress)
    assert report.requests == len(server.accepted())  # the children's requests counted too
    pids = _worker_pids(engine, campaign.id)
    assert str(os.getpid()) in pids
    assert len(pids) == 3  # the parent and two forked workers each sent batches


def test_a_refused_key_in_any_worker_stops_every_worker_and_the_run(
    engine: Engine,
    sample_email: Email,
    recipient_links: RecipientLinks,
    send_clock: FakeClock,
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
) -> None:
    add_people(engine, 300)
    server = fake_sendgrid_factory(api_key="SG.another-key")
    transport = sendgrid_transport_for(server)
    campaign = open_test_campaign(engine, sample_email)
    try:
        with pytest.raises(StoppedSending, match="refused the API key") as stopped:
            send_campaign(
                engine,
                campaign,
                transport,
                recipient_links,
                options=fast_options(batch_size=10, concurrency=1, workers=2),
                clock=send_clock,
            )
    finally:
        transport.close()
    assert server.accepted() == []
    assert server.requests <= 2  # each process stopped after its first refusal
    counts = delivery_counts(engine, campaign.id)
    assert counts["queued"] == 300  # nothing was sent: all still queued for a rerun
    assert stopped.value.report.sent_now == 0


def test_workers_only_where_the_transport_allows_concurrency(engine: Engine) -> None:
    class Transport:
        max_concurrency = 1

    assert worker_processes(SendOptions(workers=4), Transport()) == 1  # type: ignore[arg-type]
    Transport.max_concurrency = 16
    assert worker_processes(SendOptions(workers=4), Transport()) == 4  # type: ignore[arg-type]
    assert worker_processes(SendOptions(), Transport()) == 1  # type: ignore[arg-type]


def test_errors_cross_the_pipe_as_what_the_parent_must_do() -> None:
    auth = rebuild_error(7, describe_error(AuthFailed("SendGrid refused the API key")))
    assert isinstance(auth, AuthFailed)
    assert str(auth) == "SendGrid refused the API key"
    assert rebuild_error(7, describe_error(Rejected("bad", ("bad",)))) is None  # in the ledger
    bug = rebuild_error(7, describe_error(ZeroDivisionError("division by zero")))
    assert isinstance(bug, WorkerFailed)
    assert str(bug) == "worker process 7 stopped: ZeroDivisionError: division by zero"


def test_a_child_reports_its_counters_and_what_stopped_it() -> None:
    said: list[bytes] = []
    shared: Any = Shared.__new__(Shared)
    shared.engine = SimpleNamespace(pool=None, dispose=lambda close: None)
    shared.stop = threading.Event()

    def run(s: Shared) -> None:
        assert s.progress is not None
        s.progress(5)
        s.sent, s.requests = 5, 1
        raise ZeroDivisionError("oops")

    assert child_main(shared, run, said.append) == 1
    assert said[0] == b"p 5\n"
    assert said[1].startswith(b"d ")
    assert b'"sent": 5' in said[1]
    assert b"ZeroDivisionError: oops" in said[1]

    def gone(line: bytes) -> None:
        raise BrokenPipeError

    shared.stop = threading.Event()
    assert child_main(shared, lambda s: s.progress(1) if s.progress else None, gone) == 0
    assert shared.stop.is_set()  # the parent is gone: stop after the current batch


def test_a_write_turn_held_by_a_dead_process_is_given_up_after_one_wait() -> None:
    lock = threading.Lock()
    lock.acquire()  # held by someone who will never let go
    turn = WriteTurn(lock, wait=0.01)
    with turn:
        pass
    assert turn.broken
    start = time.monotonic()
    with turn:  # no second wait
        pass
    assert time.monotonic() - start < 0.01
    free = WriteTurn(threading.Lock())
    with free:
        assert not free.broken


@pytest.fixture
def spawn_session(project_copy: Path, db_url: str) -> Iterator[Spawner]:
    """``newsletter …`` in its own session, so the test can kill it and its workers at once."""
    spawner = Spawner(project_copy, db_url, new_session=True)
    yield spawner
    spawner.close()


def _no_process_left(pids: set[int]) -> bool:
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            if stat.read().rpartition(")")[2].split()[0] != "Z":  # a zombie has stopped
                return False
    return True


def test_killing_every_worker_mid_batch_then_rerunning_sends_nobody_twice(
    engine: Engine,
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
    spawn_session: Callable[..., subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    people = add_people(engine, 3500)  # four batches
    marker = tmp_path / "held.json"
    server = fake_sendgrid_factory(api_key=TEST_API_KEY, hold_at=1, hold_marker=marker)
    sender = spawn_session(
        server, "send", SAMPLE_ISSUE, "--yes", "--workers", "2", "--concurrency", "1"
    )
    wait_until(lambda: server.held.is_set() or sender.poll() is not None, "the held request")
    assert sender.poll() is None, sender.communicate(timeout=TIMEOUT)
    campaign = get_campaign(engine, SAMPLE_ISSUE)
    assert campaign is not None
    pids = {int(pid) for pid in _worker_pids(engine, campaign.id)} | {sender.pid}
    os.killpg(sender.pid, signal.SIGKILL)  # the CLI and every worker it forked
    sender.wait(TIMEOUT)
    wait_until(lambda: _no_process_left(pids), "every worker to be gone")
    server.release()  # SendGrid took the held batch after all
    wait_until(lambda: any(item.number == 1 for item in server.accepted()), "the held batch")

    rerun = spawn_session(server, "send", SAMPLE_ISSUE, "--yes", "--workers", "2")
    out, err = rerun.communicate(timeout=TIMEOUT)
    assert rerun.returncode == 3, out + err  # finished, with unknown deliveries
    assert "will not be resent" in err
    ids = Counter(server.accepted_delivery_ids())
    assert set(ids.values()) == {1}  # nobody twice
    rows = delivery_rows(engine, campaign.id)
    refs = {delivery_ref(campaign.id, row.id): row.status for row in rows}
    assert len(refs) == len(people)
    unknown = {ref for ref, status in refs.items() if status == "unknown"}
    held = {i for item in server.accepted() if item.number == 1 for i in item.delivery_ids}
    assert held <= unknown  # the batch in flight when its process was killed: reported
    accepted = {ref for ref, status in refs.items() if status == "accepted"}
    assert accepted | unknown == set(refs)
    assert accepted <= set(ids)  # marked accepted only after the server said so
    final = get_campaign(engine, SAMPLE_ISSUE)
    assert final is not None
    assert final.status == "sent"
