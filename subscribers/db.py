"""The one module that knows the database: URLs, engines, transactions, migrations.

``NEWSLETTER_DATABASE_URL`` selects the database; without it the store is the SQLite file
``newsletter.db`` in the project directory. SQLite connections use WAL, foreign keys and a busy
timeout, and :func:`write_transaction` starts with ``BEGIN IMMEDIATE`` (a deferred read that
later upgrades to a write fails at once with "database is locked"). PostgreSQL goes through
psycopg 3 (``postgresql+psycopg://``). A fresh SQLite database is migrated on first use;
PostgreSQL is migrated with ``newsletter db upgrade``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from subscribers.errors import DatabaseError

ENV_VAR = "NEWSLETTER_DATABASE_URL"
SQLITE_FILE = "newsletter.db"
#: The one Alembic history of the project: ``migrations/`` beside this package.
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
#: The newest revision in ``migrations/``, written down so that opening the database need not
#: load every migration script (Alembic's script directory costs ~0.1 s of each command's
#: start-up). ``tests/test_migrations.py`` keeps it equal to :func:`head_revision`.
HEAD_REVISION = "0010"


def database_url(project_dir: Path, environ: Mapping[str, str] | None = None) -> str:
    """``NEWSLETTER_DATABASE_URL``, or the SQLite file ``newsletter.db`` in ``project_dir``."""
    env = os.environ if environ is None else environ
    url = env.get(ENV_VAR, "").strip()
    if url:
        return normalise_url(url)
    return f"sqlite:///{(Path(project_dir).resolve() / SQLITE_FILE).as_posix()}"


def normalise_url(url: str) -> str:
    """Point bare ``postgresql://`` / ``postgres://`` URLs at psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


def get_engine(url: str, *, auto_migrate: bool = True, **kwargs: Any) -> Engine:
    """An engine for ``url``; a fresh SQLite database is created and migrated here."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise DatabaseError(f"invalid database URL: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, **kwargs)
    elif parsed.get_backend_name() == "postgresql":
        # no server-side prepared statements: a generic plan for a 1,000-item IN list makes
        # PostgreSQL scan the table once per item (and PgBouncer cannot share them anyway)
        connect_args = {"prepare_threshold": None, **kwargs.pop("connect_args", {})}
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    else:
        raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}")
    if auto_migrate and is_sqlite(engine):
        try:
            revision = current_revision(engine)
        except OperationalError as exc:
            engine.dispose()
            raise DatabaseError(f"cannot open the database: {exc.orig}") from None
        if revision != HEAD_REVISION:
            upgrade(engine)  # the embedded default needs no set-up step, even after an update
    return engine


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    connect_args = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below), so pysqlite must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction for writing: ``BEGIN IMMEDIATE`` on SQLite, a normal one elsewhere."""
    with engine.connect() as connection:
        if is_sqlite(engine):
            connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            yield connection


@contextlib.contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A short read-only transaction."""
    with engine.connect() as connection, connection.begin():
        yield connection


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _with_engine(engine_or_url: Engine | str) -> tuple[Engine, bool]:
    if isinstance(engine_or_url, Engine):
        return engine_or_url, False
    return get_engine(engine_or_url, auto_migrate=False), True


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (default: the newest)."""
    from alembic import command

    engine, owned = _with_engine(engine_or_url)
    try:
        with write_transaction(engine) as connection:
            command.upgrade(_alembic_config(connection), revision)
    except OperationalError as exc:
        raise DatabaseError(f"cannot migrate the database: {exc.orig}") from None
    finally:
        if owned:
            engine.dispose()


def downgrade(engine_or_url: Engine | str, revision: str) -> None:
    """Migrate the database down to ``revision`` (``base`` removes every table)."""
    from alembic import command

    engine, owned = _with_engine(engine_or_url)
    try:
        with write_transaction(engine) as connection:
            command.downgrade(_alembic_config(connection), revision)
    finally:
        if owned:
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when it was never migrated)."""
    with read_connection(engine) as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if value is None else str(value)


def head_revision() -> str:
    """The newest revision in ``migrations/``."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head
