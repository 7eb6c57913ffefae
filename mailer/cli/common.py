"""Helpers shared by the CLI modules: the project context, error handling and printers.

Every command prints JSON with :func:`print_json` and tables with :func:`print_table`, and
takes ``--json`` from :func:`json_option`, so output looks the same across commands.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn, TypeVar

import click

from mailer.errors import ContentError, MailerError, SettingsError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mailer.send.campaigns import Campaign

F = TypeVar("F", bound=Callable[..., object])


def project_dir(ctx: click.Context) -> Path:
    """The project directory chosen with ``--project`` (default: the current directory)."""
    root = ctx.find_root().obj
    return Path(root if isinstance(root, str) else ".").resolve()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line to stderr and exit with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn the project's own errors into one line per problem and exit 1."""
    try:
        yield
    except (ContentError, SettingsError) as exc:
        problems = exc.problems
        if problems:
            for problem in problems:
                click.echo(str(problem), err=True)
            sys.exit(1)
        fail(str(exc))
    except MailerError as exc:
        fail(str(exc))


@contextlib.contextmanager
def open_engine(root: Path) -> Iterator[Engine]:
    """A database engine for the project, at the schema this version needs.

    SQLite is created and migrated on first use. A database that cannot be reached, was never
    migrated or is at another revision stops the command with one line saying what to do.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from subscribers.db import database_url, get_engine
    from subscribers.errors import SubscriberError

    try:
        engine = get_engine(database_url(root))
    except SubscriberError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(database_problem(exc) or str(exc))
    try:
        problem = schema_problem(engine)
        if problem:
            fail(problem)
        yield engine
    finally:
        engine.dispose()


UPGRADE_HINT = "run `newsletter db upgrade`"
URL_HINT = "check NEWSLETTER_DATABASE_URL and that the database server is running"
SQLITE_HINT = "check NEWSLETTER_DATABASE_URL, or move the file aside to start afresh"


def schema_problem(engine: Engine) -> str | None:
    """Why the database cannot be used by this version (None when it is at the head revision)."""
    from sqlalchemy.exc import SQLAlchemyError

    from subscribers.db import HEAD_REVISION, current_revision

    try:
        now = current_revision(engine)
    except SQLAlchemyError as exc:
        return database_problem(exc) or str(exc)
    head = HEAD_REVISION  # kept equal to migrations/' head by a test; no Alembic load per command
    if now is None:
        return f"the database has no tables yet: {UPGRADE_HINT}"
    if now == head:
        return None
    if not _known_revision(now):
        return (
            f"the database is at revision {now}, which this version does not know "
            f"(it needs {head}): install the newer version that migrated it"
        )
    return f"the database is at revision {now}; this version needs {head}: {UPGRADE_HINT}"


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from subscribers.db import MIGRATIONS

    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except CommandError:
        return False


def database_problem(exc: BaseException) -> str | None:
    """One line with a hint for a database error that reached the CLI; None for other errors.

    The one place that maps SQLAlchemy's errors (and the store's ``DatabaseError``) to what an
    operator reads: never an SQL statement, never a traceback.
    """
    if "sqlalchemy.exc" not in sys.modules:
        return None  # nothing has touched a database, so this is not a database error
    from sqlalchemy import exc as sa_exc

    from subscribers.errors import DatabaseError

    if isinstance(exc, DatabaseError):
        return str(exc)
    if not isinstance(exc, sa_exc.SQLAlchemyError):
        return None
    orig = getattr(exc, "orig", None)
    detail = (str(orig) if orig is not None else str(exc)).strip().splitlines()
    reason = detail[0].rstrip(".") if detail else type(exc).__name__
    if isinstance(exc, sa_exc.DBAPIError) and exc.statement is None:
        embedded = type(orig).__module__.startswith("sqlite3")
        return f"cannot open the database: {reason}: {SQLITE_HINT if embedded else URL_HINT}"
    if isinstance(exc, sa_exc.ProgrammingError | sa_exc.OperationalError) and (
        "no such table" in reason or "does not exist" in reason or "no such column" in reason
    ):
        return f"the database schema is not what this version expects ({reason}): {UPGRADE_HINT}"
    if isinstance(exc, sa_exc.OperationalError):
        return f"the database failed: {reason}: {URL_HINT}"
    return f"the database failed: {reason} (`newsletter db current` shows its revision)"


def find_campaign(engine: Engine, ref: str) -> Campaign | None:
    """The campaign ``ref`` names: its number, or its issue id."""
    from mailer.send.campaigns import get_campaign

    return get_campaign(engine, int(ref) if ref.isdigit() else ref)


def json_option(help_text: str = "Print as JSON.") -> Callable[[F], F]:
    """The ``--json`` flag (parameter ``as_json``) that every reporting command takes."""
    return click.option("--json", "as_json", is_flag=True, help=help_text)


def print_json(data: object) -> None:
    """``data`` as indented JSON on stdout (dates and other values as their ``str``)."""
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def print_table(
    title: str | None,
    columns: tuple[str, ...],
    rows: Sequence[tuple[object, ...]],
    *,
    title_justify: Literal["left", "center"] = "left",
) -> None:
    """A rich table on stdout; the header row shows only when a column has a name."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify=title_justify, show_header=any(columns))
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(value) for value in row))
    Console().print(table)
