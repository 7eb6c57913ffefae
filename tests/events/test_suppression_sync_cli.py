"""``newsletter suppressions sync`` and the cron entry points' output: a real process killed
mid-page resumes at the first page not recorded; tables, JSON, --quiet, --due timestamps; the
API key never printed; ``send --due`` stamps its lines and is quiet with --quiet."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from mailer.events.sync_tables import watermarks
from subscribers.db import read_connection, write_transaction
from subscribers.models import subscribers
from tests.fakesendgrid import FakeSendGrid
from tests.plugins.sendgrid import TEST_API_KEY
from tests.plugins.sending import Newsletter, Person, add_people, write_issue
from tests.processes import TIMEOUT, Spawner, wait_until

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")
CREATED = int(datetime.now(UTC).timestamp()) - 3600


@pytest.fixture
def spawn(project_copy: Path, db_url: str) -> Iterator[Spawner]:
    spawner = Spawner(project_copy, db_url)
    yield spawner
    spawner.close()


def statuses(engine: Engine, people: list[Person]) -> list[str]:
    with read_connection(engine) as connection:
        rows = dict(
            connection.execute(
                select(subscribers.c.id, subscribers.c.status).where(
                    subscribers.c.id.in_([p.id for p in people])
                )
            ).all()
        )
    return [rows[p.id] for p in people]


def unsubscribe_directly(engine: Engine, people: list[Person]) -> None:
    with write_transaction(engine) as connection:
        connection.execute(
            update(subscribers)
            .where(subscribers.c.id.in_([p.id for p in people]))
            .values(status="unsubscribed", unsubscribed_at=datetime.now(UTC))
        )


def test_a_sync_killed_mid_page_resumes_at_the_first_page_not_recorded(
    engine: Engine,
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
    spawn: Callable[..., subprocess.Popen[str]],
    newsletter: Newsletter,
) -> None:
    people = add_people(engine, 7)
    server = fake_sendgrid_factory(api_key=TEST_API_KEY)
    for index, person in enumerate(people):
        server.admin.seed("bounces", person.email, CREATED + index)
    server.admin.hold = ("bounces", 3)  # two pages of three applied, the third in flight
    process = spawn(server, "suppressions", "sync", "--page-size", "3")
    wait_until(lambda: server.admin.held.is_set() or process.poll() is not None, "the hold")
    assert process.poll() is None, process.communicate()
    process.send_signal(signal.SIGKILL)
    process.wait(TIMEOUT)
    with read_connection(engine) as connection:
        row = connection.execute(select(watermarks)).one()
    assert (row.list_type, row.watermark, row.run_offset) == ("bounces", 0, 6)
    assert statuses(engine, people).count("bounced") == 6
    server.admin.release()

    result = newsletter("suppressions", "sync", "--page-size", "3", "--json", server=server)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changed"]["bounces"] == 1
    resumed = [q for name, q in server.admin.gets if name == "bounces"][-1]
    assert (resumed["offset"], resumed["end_time"]) == (6, row.run_end)
    assert set(statuses(engine, people)) == {"bounced"}


def test_the_table_shows_counts_both_ways(
    engine: Engine, server: FakeSendGrid, newsletter: Newsletter
) -> None:
    first, second = add_people(engine, 2)
    server.admin.seed("spam_reports", first.email, CREATED)
    unsubscribe_directly(engine, [second])
    result = newsletter("suppressions", "sync", server=server)
    assert result.exit_code == 0, result.output
    assert re.search(r"pulled spam_reports\s*│\s*1\s*│\s*1", result.stdout)
    assert re.search(r"pushed unsubscribed\s*│\s*1\s*│\s*global", result.stdout)
    assert TEST_API_KEY not in result.output


def test_quiet_prints_only_what_was_done_and_nothing_when_nothing_was(
    engine: Engine, server: FakeSendGrid, newsletter: Newsletter
) -> None:
    (person,) = add_people(engine, 1)
    server.admin.seed("bounces", person.email, CREATED)
    first = newsletter("suppressions", "sync", "--quiet", server=server)
    assert first.exit_code == 0, first.output
    assert first.output == "bounces: changed 1 subscriber(s)\n"
    again = newsletter("suppressions", "sync", "--quiet", server=server)
    assert (again.exit_code, again.output) == (0, "")


def test_due_stamps_every_line_with_the_time(
    engine: Engine, server: FakeSendGrid, newsletter: Newsletter
) -> None:
    people = add_people(engine, 2)
    unsubscribe_directly(engine, people)
    result = newsletter("suppressions", "sync", "--due", server=server)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) > 5
    assert all(STAMP.match(line) for line in lines), result.output


def test_without_an_api_key_it_says_so_in_one_line(newsletter: Newsletter) -> None:
    result = newsletter("suppressions", "sync", "--due")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert STAMP.match(lines[0])
    assert lines[0].endswith("error: suppressions sync needs SENDGRID_API_KEY")


def test_a_refused_key_is_one_line_without_the_key(
    fake_sendgrid_factory: Callable[..., FakeSendGrid], newsletter: Newsletter
) -> None:
    server = fake_sendgrid_factory(api_key="SG.another-key")
    result = newsletter("suppressions", "sync", server=server)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "refused the API key (HTTP 401)" in result.stderr
    assert TEST_API_KEY not in result.output


def test_send_due_stamps_every_line_and_quiet_prints_only_what_was_sent(
    engine: Engine, server: FakeSendGrid, newsletter: Newsletter, project_copy: Path
) -> None:
    add_people(engine, 3)
    write_issue(project_copy, "2026-11-due", send_at=datetime.now(UTC) - timedelta(minutes=5))
    result = newsletter("send", "--due", "--quiet", server=server)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert STAMP.match(lines[0])
    assert lines[0].endswith("2026-11-due: sent to 3 of 3 (sent)")
    again = newsletter("send", "--due", "--quiet", server=server)
    assert (again.exit_code, again.output) == (0, "")


def test_send_due_without_quiet_stamps_the_tables_too(
    engine: Engine, server: FakeSendGrid, newsletter: Newsletter, project_copy: Path
) -> None:
    add_people(engine, 2)
    write_issue(project_copy, "2026-11-due", send_at=datetime.now(UTC) - timedelta(minutes=5))
    result = newsletter("send", "--due", server=server)
    assert result.exit_code == 0, result.output
    assert "Campaign 2026-11-due" in result.stdout
    assert all(STAMP.match(line) for line in result.output.splitlines()), result.output


def test_quiet_without_due_is_refused(newsletter: Newsletter) -> None:
    result = newsletter("send", "2026-11-due", "--quiet")
    assert result.exit_code == 1
    assert "--quiet goes with --due" in result.stderr
