"""A database the CLI cannot use is one line with what to do, never an SQL dump or a traceback.

The real ``newsletter`` command runs as a process against real databases: an empty PostgreSQL
database, one migrated to an older revision, a server that is not there, and SQLite files.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from subscribers.db import ENV_VAR, head_revision, normalise_url, upgrade
from tests.plugins.db import PG_ENV
from tests.serving import NEWSLETTER, free_port

UPGRADE = "run `newsletter db upgrade`"
COMMANDS = (["subscribers", "stats"], ["campaigns", "list"], ["report", "no-such-issue"])


def run_cli(project: Path, args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, ENV_VAR: url, "COLUMNS": "100", "NO_COLOR": "1"}
    return subprocess.run(
        [str(NEWSLETTER), "--project", str(project), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    """Exit status 1, nothing on stdout, and exactly one line on stderr saying ``expected``."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines == [f"error: {expected}"], result.stderr


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """The URL of a brand-new, empty PostgreSQL database (dropped afterwards)."""
    base = os.environ.get(PG_ENV, "").strip()
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    base_url = make_url(normalise_url(base))
    name = f"test_ops_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield base_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args))
def test_never_migrated_postgres_is_one_line(
    project_copy: Path, empty_postgres: str, args: list[str]
) -> None:
    result = run_cli(project_copy, args, empty_postgres)
    assert_one_line(result, f"the database has no tables yet: {UPGRADE}")


@pytest.mark.postgres
def test_postgres_at_an_older_revision_names_both_revisions(
    project_copy: Path, empty_postgres: str
) -> None:
    upgrade(empty_postgres, "0002")
    result = run_cli(project_copy, ["subscribers", "stats"], empty_postgres)
    head = head_revision()
    assert_one_line(
        result, f"the database is at revision 0002; this version needs {head}: {UPGRADE}"
    )
    # and the hint works: after the upgrade the same command succeeds
    assert run_cli(project_copy, ["db", "upgrade"], empty_postgres).returncode == 0
    assert run_cli(project_copy, ["subscribers", "stats"], empty_postgres).returncode == 0


@pytest.mark.parametrize("args", [["subscribers", "stats"], ["db", "current"]])
def test_unreachable_server_is_one_line(project_copy: Path, args: list[str]) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    result = run_cli(project_copy, args, url)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: cannot open the database: ")
    assert "NEWSLETTER_DATABASE_URL" in result.stderr


def test_a_file_that_is_not_a_database_is_one_line(project_copy: Path) -> None:
    path = project_copy / "newsletter.db"
    path.write_bytes(b"not a database, but a file someone copied here by mistake\n" * 20)
    result = run_cli(project_copy, ["subscribers", "stats"], f"sqlite:///{path}")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: cannot open the database: file is not a database")


def test_sqlite_missing_a_table_is_one_line(project_copy: Path) -> None:
    """A database error that only shows mid-command reaches the CLI's top-level handler."""
    path = project_copy / "newsletter.db"
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("DROP TABLE subscriber_interests")
        connection.execute("DROP TABLE subscriptions")
    connection.close()
    result = run_cli(project_copy, ["subscribers", "stats"], f"sqlite:///{path}")
    assert_one_line(
        result,
        "the database schema is not what this version expects (no such table: subscriptions): "
        + UPGRADE,
    )


@pytest.mark.parametrize("stamp", [None, "0002"], ids=["empty-file", "older-revision"])
def test_sqlite_migrates_itself(project_copy: Path, stamp: str | None) -> None:
    """The embedded default needs no set-up step: an empty or older SQLite file is migrated."""
    path = project_copy / "newsletter.db"
    path.touch()
    if stamp:
        upgrade(f"sqlite:///{path}", stamp)
    result = run_cli(project_copy, ["subscribers", "stats", "--json"], f"sqlite:///{path}")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
