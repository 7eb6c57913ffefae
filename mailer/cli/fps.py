"""``newsletter subscribers suppress EMAIL --source fps``: a Fundraising Preference Service
request (or the person's own), actioned whether or not the address is a subscriber."""

from __future__ import annotations

from datetime import date, datetime

import click

from mailer.cli.common import json_option, print_json
from mailer.cli.store import hasher, open_store, store_errors, who


@click.command("suppress")
@click.argument("email")
@click.option(
    "--source",
    required=True,
    type=click.Choice(("fps", "request")),
    help="fps: a Fundraising Preference Service request; request: the person asked us.",
)
@click.option(
    "--requested-on",
    type=click.DateTime(formats=("%Y-%m-%d",)),
    help="The date of the request, e.g. 2026-11-28 [default: today].",
)
@click.option("--reference", help="The request's reference, e.g. the FPS request number.")
@json_option("Print the suppression as JSON.")
@click.pass_context
def suppress_command(
    ctx: click.Context,
    email: str,
    source: str,
    requested_on: datetime | None,
    reference: str | None,
    as_json: bool,
) -> None:
    """Suppress an address for good, subscriber or not (keyed hash; imports and signups refused)."""
    from mailer.config import Config
    from subscribers.fps import suppress_address

    day: date | None = requested_on.date() if requested_on else None
    push = Config.from_environ().transport == "sendgrid"  # as `forget`: SendGrid stops too
    with store_errors(), open_store(ctx) as (_settings, engine):
        result = suppress_address(
            engine,
            email,
            source=source,
            hasher=hasher(ctx),
            who=who(),
            requested_on=day,
            reference=reference,
            push=push,
        )
    if as_json:
        print_json({"email": email, **result.as_dict()})
        return
    found = result.suppression
    when = f"{source} request of {found.requested_on.isoformat()}"
    if result.already:
        click.echo(
            f"{email} was already suppressed ({found.source} request of "
            f"{found.requested_on.isoformat()}, actioned {found.actioned_at.date().isoformat()})"
        )
    else:
        click.echo(f"suppressed {email} ({when}, actioned {found.actioned_at.date().isoformat()})")
    if result.unsubscribed:
        click.echo("was a subscriber: unsubscribed from every list")
    click.echo("future imports and signups of this address are refused")
