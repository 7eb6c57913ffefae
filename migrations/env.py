"""Alembic environment for the whole project (subscriber store and sending ledger).

Configured in code by :mod:`subscribers.db` (no alembic.ini): the caller passes an open
connection in ``config.attributes["connection"]``. Revisions use explicit ids: ``0001``
subscribers, ``0002`` campaign ledger, ``0003`` events, …
"""

from __future__ import annotations

from alembic import context

from subscribers.models import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from subscribers.db import get_engine, write_transaction

        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no connection given; use subscribers.db.upgrade()")
        engine = get_engine(url, auto_migrate=False)
        try:
            with write_transaction(engine) as connection:
                _run(connection)
        finally:
            engine.dispose()
        return
    _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
