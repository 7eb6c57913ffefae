"""``newsletter staff``: the console's accounts; ``newsletter console``: the console alone.

The first admin is added here, before any page exists to add one. Passwords are asked for
twice without echo, or read from one line of standard input with ``--password-stdin`` (for
scripts). Every change is in the audit log under the OS user's name.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from mailer.cli.common import (
    fail,
    json_option,
    open_engine,
    print_json,
    print_table,
    project_dir,
    user_errors,
)
from mailer.clock import utc_now
from mailer.config import DEV_KEY

if TYPE_CHECKING:
    from sqlalchemy import Engine

ROLES = ("editor", "approver", "operator", "admin")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt(
        "Password (at least 12 characters)",
        hide_input=True,
        confirmation_prompt=True,
        err=True,
    )
    return value


def _audit(engine: Engine, action: str, detail: str) -> None:
    from subscribers.audit import os_user, record_action
    from subscribers.db import write_transaction

    with write_transaction(engine) as connection:
        record_action(connection, who=os_user(), action=action, count=1, detail=detail)


password_stdin = click.option(
    "--password-stdin", is_flag=True, help="Read the password from one line of standard input."
)


@click.group()
def staff() -> None:
    """Staff console accounts: add, list, disable, reset a password."""


@staff.command()
@click.argument("email")
@click.option("--name", required=True, help="The person's name, as the audit log shows it.")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="editor: preview, proofs; approver: also approve; operator: also campaigns and "
    "supporters; admin: also staff.",
)
@password_stdin
@click.pass_context
def add(ctx: click.Context, email: str, name: str, role: str, password_stdin: bool) -> None:
    """Add an account that signs in at /staff with EMAIL and a password."""
    from mailer.web.staff.accounts import add_staff

    password = _password(password_stdin)
    with open_engine(project_dir(ctx)) as engine, user_errors():
        account = add_staff(engine, email, name=name, role=role, password=password, now=utc_now())
        _audit(engine, "staff.add", f"{account.email} role={account.role}")
    click.echo(f"added {account.email} ({account.role})")


@staff.command("list")
@json_option()
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """Every account with its role and state."""
    from mailer.web.staff.accounts import list_staff

    with open_engine(project_dir(ctx)) as engine:
        accounts = list_staff(engine)
    if as_json:
        print_json([a.as_dict() for a in accounts])
        return
    rows = [
        (
            a.email,
            a.name,
            a.role.value,
            "active" if a.active else "disabled",
            _when(a.last_login_at),
        )
        for a in accounts
    ]
    print_table("Staff", ("email", "name", "role", "state", "last sign-in"), rows)


@staff.command()
@click.argument("email")
@click.pass_context
def disable(ctx: click.Context, email: str) -> None:
    """Disable an account; its sessions end at once (`staff reset` enables it again)."""
    from mailer.web.staff.accounts import disable_staff

    with open_engine(project_dir(ctx)) as engine, user_errors():
        disable_staff(engine, email)
        _audit(engine, "staff.disable", email.strip().lower())
    click.echo(f"disabled {email}; its sessions have ended")


@staff.command()
@click.argument("email")
@password_stdin
@click.pass_context
def reset(ctx: click.Context, email: str, password_stdin: bool) -> None:
    """Set a new password (and enable the account); its sessions and lock-outs end."""
    from mailer.web.staff.accounts import reset_password

    password = _password(password_stdin)
    with open_engine(project_dir(ctx)) as engine, user_errors():
        reset_password(engine, email, password, now=utc_now())
        _audit(engine, "staff.reset", email.strip().lower())
    click.echo(f"new password set for {email}; its sessions have ended")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8002, show_default=True, type=click.IntRange(0, 65535), help="TCP port."
)
@click.option(
    "--dev-key",
    is_flag=True,
    envvar=DEV_KEY,
    help="Without NEWSLETTER_SECRET_KEY, use the development-only key (never in production).",
)
@click.pass_context
def console(ctx: click.Context, host: str, port: int, dev_key: bool) -> None:
    """Run the staff console alone (the same pages `serve` mounts under /staff)."""
    import uvicorn

    from mailer.settings import load_project
    from mailer.web import create_console_app
    from mailer.web.accesslog import access_log_config
    from subscribers.errors import MissingSecretKey
    from subscribers.keys import keys_from_env

    try:
        keys_from_env(allow_dev=dev_key)
    except MissingSecretKey as exc:
        fail(f"not starting: {exc}")
    with user_errors():
        app = create_console_app(load_project(project_dir(ctx)), dev_key=dev_key)
    click.echo(f"Staff console at http://{host}:{port}/staff/ (Ctrl+C to stop)", err=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        server_header=False,
        log_level="info",
        log_config=access_log_config(),
    )


def _state(active: bool) -> str:
    return "active" if active else "disabled"


def _when(moment: datetime | None) -> str:
    """A sign-in time for the table: UTC to the minute, or "never"."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "never"
