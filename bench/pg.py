"""A private PostgreSQL database for one benchmark run (``--postgres URL``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


@contextlib.contextmanager
def postgres_database(base: str, prefix: str) -> Iterator[str]:
    """A private, migrated PostgreSQL database named ``<prefix>_<pid>``, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from subscribers.db import normalise_url, upgrade

    base_url = make_url(normalise_url(base))
    name = f"{prefix}_{os.getpid()}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = base_url.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
