from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from subscribers.db import (
    HEAD_REVISION,
    current_revision,
    database_url,
    downgrade,
    get_engine,
    head_revision,
    upgrade,
)


def tables(url: str) -> set[str]:
    engine = get_engine(url, auto_migrate=False)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_fresh_sqlite_database_is_created_and_migrated_on_first_use(tmp_path: Path) -> None:
    engine = get_engine(database_url(tmp_path, {}))
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    assert (tmp_path / "newsletter.db").exists()


def test_the_written_down_head_is_the_newest_migration() -> None:
    # get_engine compares a database's revision with HEAD_REVISION (loading every migration
    # script on each start-up is slow): a new migration must update it.
    assert head_revision() == HEAD_REVISION


def test_database_url_comes_from_the_environment(tmp_path: Path) -> None:
    env = {"NEWSLETTER_DATABASE_URL": "postgresql://u@h/db"}
    assert database_url(tmp_path, env) == "postgresql+psycopg://u@h/db"


def test_downgrade_to_base_and_upgrade_round_trip(db_url: str) -> None:
    assert {"subscribers", "subscriptions", "audit_log"} <= tables(db_url)
    before = tables(db_url)
    downgrade(db_url, "base")
    assert tables(db_url) == set()
    upgrade(db_url)
    assert tables(db_url) == before


def test_upgrade_from_empty(db_url: str) -> None:
    downgrade(db_url, "base")
    upgrade(db_url, "0001")
    engine = get_engine(db_url, auto_migrate=False)
    try:
        assert current_revision(engine) == "0001"
    finally:
        engine.dispose()
    upgrade(db_url)
