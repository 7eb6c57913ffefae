"""Helpers of the commands over the subscriber store: settings and engine, errors, audit name.

Shared by ``newsletter subscribers`` (:mod:`mailer.cli.subscribers`), its ``suppress`` command
(:mod:`mailer.cli.fps`) and ``newsletter db``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from mailer.cli.common import fail, open_engine, project_dir, user_errors
from subscribers.errors import SubscriberError, Suppressed

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mailer.settings import Settings
    from subscribers.keys import AddressHasher


@contextlib.contextmanager
def store_errors() -> Iterator[None]:
    """Project errors (settings, store, tokens) become one line on stderr and exit 1."""
    with user_errors():
        try:
            yield
        except Suppressed as exc:
            fail(f"{exc} (pass --reopt-in only if the person has opted in again)")
        except SubscriberError as exc:
            fail(str(exc))


@contextlib.contextmanager
def open_store(ctx: click.Context) -> Iterator[tuple[Settings, Engine]]:
    """The project's settings and a database engine (disposed afterwards)."""
    from mailer.settings import load_project

    root = project_dir(ctx)
    settings = load_project(root).settings
    with open_engine(root) as engine:
        yield settings, engine


def who() -> str:
    """The person running the command, as the audit log names them."""
    from subscribers.audit import os_user

    return os_user()


class StoreOptions:
    """What ``newsletter subscribers`` keeps for its commands (``--dev-key``)."""

    def __init__(self, dev_key: bool) -> None:
        self.dev_key = dev_key


def hasher(ctx: click.Context) -> AddressHasher:
    """The keyed address hash (erasures, FPS suppressions) from the environment's secret key."""
    from subscribers.keys import hasher_from_env

    options = ctx.find_object(StoreOptions)
    return hasher_from_env(allow_dev=bool(options and options.dev_key))
