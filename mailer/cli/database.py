"""``newsletter db``: the database schema."""

from __future__ import annotations

import click

from mailer.cli.common import project_dir
from mailer.cli.store import store_errors


@click.group("db")
def db() -> None:
    """Manage the database (NEWSLETTER_DATABASE_URL, default newsletter.db in the project)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.pass_context
def upgrade_command(ctx: click.Context, revision: str) -> None:
    """Create or migrate the database schema to the newest revision."""
    from sqlalchemy.engine import make_url

    from subscribers.db import current_revision, database_url, get_engine, upgrade

    with store_errors():
        url = database_url(project_dir(ctx))
        engine = get_engine(url, auto_migrate=False)
        try:
            upgrade(engine, revision)
            now = current_revision(engine)
        finally:
            engine.dispose()
        shown = make_url(url).render_as_string(hide_password=True)
        click.echo(f"database {shown} is at revision {now}")


@db.command("current")
@click.pass_context
def current_command(ctx: click.Context) -> None:
    """Print the revision the database is at, and the newest one available."""
    from subscribers.db import current_revision, database_url, get_engine, head_revision

    with store_errors():
        engine = get_engine(database_url(project_dir(ctx)), auto_migrate=False)
        try:
            now = current_revision(engine)
        finally:
            engine.dispose()
        click.echo(f"current: {now or 'none'}\nhead: {head_revision()}")
