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
    """A database engine for the project (SQLite is created and migrated on first use)."""
    from subscribers.db import database_url, get_engine
    from subscribers.errors import SubscriberError

    try:
        engine = get_engine(database_url(root))
    except SubscriberError as exc:
        fail(str(exc))
    try:
        yield engine
    finally:
        engine.dispose()


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
