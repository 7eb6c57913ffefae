"""``newsletter suppressions sync``: SendGrid's suppression lists and ours, kept in step.

The work is the library's (:func:`mailer.events.suppression_sync.sync_suppressions`); this
module reads the configuration, prints the counts and, with ``--due`` (the cron entry point),
stamps every line with the time.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import click

from mailer.cli.common import fail, json_option, open_engine, print_json, print_table, project_dir
from mailer.cli.cronlog import stamped_output
from mailer.clock import utc_now

if TYPE_CHECKING:
    from mailer.events.suppression_sync import SyncReport


@click.group()
def suppressions() -> None:
    """Keep SendGrid's suppression lists and the subscriber store in step."""


@suppressions.command("sync")
@click.option("--dry-run", is_flag=True, help="Read SendGrid's lists and count; change nothing.")
@json_option("Print the counts as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print only what was done (nothing if nothing).")
@click.option(
    "--due",
    is_flag=True,
    help="The cron entry point: every line printed starts with the UTC time.",
)
@click.option(
    "--page-size",
    type=click.IntRange(1, 500),
    default=500,
    show_default=True,
    help="Entries read per request (SendGrid's limit is 500).",
)
@click.pass_context
def sync(
    ctx: click.Context, dry_run: bool, as_json: bool, quiet: bool, due: bool, page_size: int
) -> None:
    """Pull SendGrid's bounces, blocks, spam reports, invalid emails and global unsubscribes
    since the last sync and apply them as the webhook would; push local unsubscribes,
    complaints and forgotten addresses to SendGrid's global suppressions (or the
    NEWSLETTER_ASM_GROUP unsubscribe group). Needs SENDGRID_API_KEY. Exit 1 on any error.
    """
    stamping = stamped_output(stdout=not as_json) if due else contextlib.nullcontext()
    with stamping:
        report = _run(ctx, dry_run=dry_run, page_size=page_size)
        if as_json:
            print_json(report.as_dict())
        elif quiet:
            _print_done(report)
        else:
            _print_table(report)


def _run(ctx: click.Context, *, dry_run: bool, page_size: int) -> SyncReport:
    from mailer.config import SENDGRID_API_KEY, Config
    from mailer.errors import MailerError
    from mailer.events.suppression_sync import sync_suppressions
    from mailer.transports.sendgrid_admin import admin_from_config

    try:
        config = Config.from_environ()
        if not config.sendgrid_api_key:
            fail(f"suppressions sync needs {SENDGRID_API_KEY}")
        api = admin_from_config(config)
        with open_engine(project_dir(ctx)) as engine:
            return sync_suppressions(
                engine,
                api,
                now=utc_now(),
                group_id=config.asm_group,
                dry_run=dry_run,
                page_size=page_size,
            )
    except MailerError as exc:
        fail(str(exc))


def _print_done(report: SyncReport) -> None:
    """One line per thing done; nothing when nothing changed."""
    verb = "would change" if report.dry_run else "changed"
    for list_type, count in report.changed.items():
        if count:
            click.echo(f"{list_type}: {verb} {count} subscriber(s)")
    pushed = {reason: n for reason, n in report.pushed.items() if n}
    if pushed:
        what = ", ".join(f"{n} {reason}" for reason, n in pushed.items())
        click.echo(f"{'would push' if report.dry_run else 'pushed'} to {report.target}: {what}")


def _print_table(report: SyncReport) -> None:
    title = "Suppression sync" + (" (dry run: nothing changed)" if report.dry_run else "")
    rows: list[tuple[object, ...]] = [
        (f"pulled {list_type}", report.pulled[list_type], report.changed[list_type])
        for list_type in report.pulled
    ]
    rows += [(f"pushed {reason}", n, report.target) for reason, n in report.pushed.items()]
    rows.append(("requests", report.requests, ""))
    print_table(title, ("", "entries", "subscribers changed / target"), rows)
