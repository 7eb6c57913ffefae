"""Database fixtures shared by every area: ``db_url`` and ``engine`` on SQLite and PostgreSQL.

- SQLite: one migrated template file per test session, copied into each test's tmp dir.
- PostgreSQL (``TEST_DATABASE_URL``; the param is skipped when unset, and FAILS when set but
  unreachable): a private database ``test_<pid>_<random>`` per session (so parallel runs and
  xdist workers never meet), migrated once, every table except ``alembic_version`` truncated
  (RESTART IDENTITY CASCADE) before each test, dropped at the end. Tables added by later
  migrations are picked up automatically.

Use ``engine`` for a clean, migrated database; use ``db_url`` when the code under test builds
its own engine (e.g. set ``NEWSLETTER_DATABASE_URL`` for the CLI).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from subscribers.db import get_engine, normalise_url, upgrade

PG_ENV = "TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database file to copy from."""
    path = tmp_path_factory.mktemp("db-template") / "template.db"
    engine = get_engine(f"sqlite:///{path}")  # created and migrated on first use
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private, migrated PostgreSQL database for this session (dropped at the end)."""
    base = os.environ.get(PG_ENV, "").strip()
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    base_url = make_url(normalise_url(base))
    name = f"test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"{PG_ENV} is set but PostgreSQL is unreachable: {exc}", pytrace=False)
    url = base_url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _postgres_cleaner(postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def truncate_all(engine: Engine) -> None:
    """Empty every table except alembic_version (PostgreSQL)."""
    with engine.connect() as connection:
        names = connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        quoted = ", ".join(f'"{name}"' for name in names)
        if quoted:
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a clean, migrated database; parametrised over SQLite and PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "newsletter.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    truncate_all(request.getfixturevalue("_postgres_cleaner"))
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a clean, migrated database (both backends); disposed after the test."""
    engine = get_engine(db_url, auto_migrate=False)
    yield engine
    engine.dispose()
