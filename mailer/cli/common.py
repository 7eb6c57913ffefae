"""Helpers shared by the CLI modules: the project context and error handling."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from mailer.errors import ContentError, MailerError, SettingsError


def project_dir(ctx: click.Context) -> Path:
    """The project directory chosen with ``--project`` (default: the current directory)."""
    root = ctx.find_root().obj
    return Path(root if isinstance(root, str) else ".").resolve()


def fail(message: str, code: int = 1) -> None:
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
