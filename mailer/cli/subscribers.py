"""``newsletter subscribers``: the subscriber store from the command line.

Wires settings to the ``subscribers`` package: list and interest ids are checked against
``newsletter.yaml``; the audit log names the OS user. Exit status: 0 done (an import with
rejected rows still exits 0 and lists them in its summary), 1 a user error, printed as one line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mailer.cli.common import fail, json_option, print_json, print_table, user_errors
from mailer.cli.fps import suppress_command
from mailer.cli.store import StoreOptions, hasher, open_store, store_errors, who
from mailer.config import DEV_KEY

if TYPE_CHECKING:
    from mailer.settings import Settings

STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained", "forgotten")


def _interests(settings: Settings, value: str | None) -> list[str]:
    wanted = [item.strip() for item in (value or "").split(",") if item.strip()]
    unknown = sorted(set(wanted) - settings.interest_ids)
    if unknown:
        fail(f"unknown interest {unknown[0]!r}; known: {', '.join(sorted(settings.interest_ids))}")
    return wanted


@click.group("subscribers")
@click.option(
    "--dev-key",
    is_flag=True,
    envvar=DEV_KEY,
    help="Without NEWSLETTER_SECRET_KEY, use a fixed development-only key (never in production).",
)
@click.pass_context
def subscribers(ctx: click.Context, dev_key: bool) -> None:
    """Manage supporters: import, export, add, unsubscribe, forget, suppress, audit."""
    ctx.obj = StoreOptions(dev_key)  # --project stays on the root context (project_dir)


subscribers.add_command(suppress_command)


@subscribers.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--list", "list_id", required=True, help="List id from newsletter.yaml.")
@click.option("--interests", help="Comma-separated interest ids added to every row.")
@click.option("--consent-source", help="Where these people agreed, e.g. 'Race 2024 sign-up'.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write rejected rows [default: FILE.rejects.csv next to FILE].",
)
@json_option("Print the summary as JSON.")
@click.pass_context
def import_command(
    ctx: click.Context,
    file: Path,
    list_id: str,
    interests: str | None,
    consent_source: str | None,
    rejects: Path | None,
    as_json: bool,
) -> None:
    """Import a UTF-8 CSV of supporters into a list (good rows land, bad rows are listed)."""
    from subscribers.importer import import_csv

    with store_errors(), open_store(ctx) as (settings, engine):
        chosen = settings.list_named(list_id)
        summary = import_csv(
            engine,
            file,
            list_id,
            hasher=hasher(ctx),
            who=who(),
            interests=_interests(settings, interests),
            allowed_interests=settings.interest_ids,
            consent_source=consent_source,
            allowed_bases=("consent",) if chosen.consent_only else None,
            rejects_path=rejects,
        )
    if as_json:
        print_json(summary.as_dict())
        return
    counts = summary.as_dict()
    outcomes = ("added", "updated", "unchanged", "rejected", "suppressed")
    print_table(
        f"Import of {file.name} into {list_id}",
        ("outcome", "rows"),
        [(name, counts[name]) for name in outcomes],
        title_justify="center",
    )
    if summary.sample_rejects:
        print_table(
            "Rejected and skipped rows (first 20)",
            ("line", "reason"),
            [(line, reason) for line, reason in summary.sample_rejects],
            title_justify="center",
        )
    if summary.rejects_path:
        click.echo(f"rejected and skipped rows written to {summary.rejects_path}")


@subscribers.command("export")
@click.option("--list", "list_id", help="Only subscribers of this list.")
@click.option("--status", type=click.Choice(STATUSES), help="Only subscribers with this status.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.pass_context
def export_command(
    ctx: click.Context, list_id: str | None, status: str | None, output: Path | None
) -> None:
    """Export subscribers as a spreadsheet-safe CSV (formulas neutralised)."""
    from subscribers.exporter import export_csv

    with store_errors(), open_store(ctx) as (settings, engine):
        if list_id:
            settings.list_named(list_id)
        if output is None:
            export_csv(engine, sys.stdout, list_id=list_id, status=status)
        else:
            with output.open("w", encoding="utf-8", newline="") as handle:
                count = export_csv(engine, handle, list_id=list_id, status=status)
            click.echo(f"exported {count} subscribers to {output}", err=True)


@subscribers.command("add")
@click.argument("email")
@click.option("--list", "list_id", required=True, help="List id from newsletter.yaml.")
@click.option("--first-name", help="First name.")
@click.option("--last-name", help="Last name.")
@click.option("--interests", help="Comma-separated interest ids.")
@click.option("--consent-source", default="added by staff", show_default=True, help="Consent note.")
@click.option("--reopt-in", is_flag=True, help="The person opted in again after unsubscribing.")
@json_option("Print the subscriber as JSON.")
@click.pass_context
def add_command(
    ctx: click.Context,
    email: str,
    list_id: str,
    first_name: str | None,
    last_name: str | None,
    interests: str | None,
    consent_source: str,
    reopt_in: bool,
    as_json: bool,
) -> None:
    """Add one supporter to a list, active at once (staff vouch for their consent)."""
    from subscribers.store import Consent, subscribe

    with store_errors(), open_store(ctx) as (settings, engine):
        settings.list_named(list_id)
        subscriber = subscribe(
            engine,
            email,
            list_id,
            consent=Consent(source="staff", note=consent_source),
            hasher=hasher(ctx),
            who=who(),
            first_name=first_name,
            last_name=last_name,
            interests=_interests(settings, interests),
            confirmed=True,
            reopt_in=reopt_in,
        )
    if as_json:
        print_json(subscriber.as_dict())
    else:
        click.echo(f"added {subscriber.email} to {list_id} ({subscriber.status})")


@subscribers.command("unsubscribe")
@click.argument("email")
@click.option("--list", "list_id", help="Only this list [default: every list].")
@click.pass_context
def unsubscribe_command(ctx: click.Context, email: str, list_id: str | None) -> None:
    """Unsubscribe a supporter from one list or from everything."""
    from subscribers.store import unsubscribe

    with store_errors(), open_store(ctx) as (settings, engine):
        if list_id:
            settings.list_named(list_id)
        changed = unsubscribe(engine, email, list_id, who=who())
    where = list_id or "every list"
    click.echo(
        f"unsubscribed {email} from {where}" if changed else f"{email}: already unsubscribed"
    )


@subscribers.command("forget")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def forget_command(ctx: click.Context, email: str, yes: bool) -> None:
    """Erase a supporter's personal data (GDPR); a keyed hash blocks re-import.

    With NEWSLETTER_TRANSPORT=sendgrid the address is held until the next `newsletter
    suppressions sync` pushes it to SendGrid's suppressions, then deleted.
    """
    from mailer.config import Config
    from subscribers.privacy import forget

    if not yes and not click.confirm(f"Erase everything held about {email}?"):
        fail("nothing erased")
    with user_errors():
        push = Config.from_environ().transport == "sendgrid"
    with store_errors(), open_store(ctx) as (_settings, engine):
        erased = forget(engine, email, hasher=hasher(ctx), who=who(), push=push)
    click.echo(
        f"erased {email}" if erased else f"no subscriber {email}; it is blocked from re-import"
    )


@subscribers.command("show")
@click.argument("email")
@json_option()
@click.pass_context
def show_command(ctx: click.Context, email: str, as_json: bool) -> None:
    """Show one supporter: status, lists, lawful basis per list, interests, dates."""
    from subscribers.store import get_subscriber

    with store_errors(), open_store(ctx) as (_settings, engine):
        found = get_subscriber(engine, email)
    data = found.as_dict()
    if as_json:
        print_json(data)
        return
    data["lawful_basis"] = {k: v.describe() for k, v in sorted(found.bases.items())}
    rows = [(k, _show(v)) for k, v in data.items() if v not in (None, {}, [])]
    print_table(None, ("field", "value"), rows, title_justify="center")


def _show(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@subscribers.command("stats")
@json_option()
@click.pass_context
def stats_command(ctx: click.Context, as_json: bool) -> None:
    """Count subscribers per list and status."""
    from subscribers.exporter import count_subscribers

    with store_errors(), open_store(ctx) as (settings, engine):
        stats = count_subscribers(engine)
    if as_json:
        print_json(stats.as_dict())
        return
    list_ids = [item.id for item in settings.lists]
    list_ids += sorted(set(stats.by_list) - set(list_ids))
    columns = ("pending", "active", "unsubscribed")
    rows = [(lid, *(stats.by_list.get(lid, {}).get(s, 0) for s in columns)) for lid in list_ids]
    print_table("Subscriptions per list", ("list", *columns), rows, title_justify="center")
    print_table(
        "Subscribers per status",
        ("status", "count"),
        list(stats.by_status.items()),
        title_justify="center",
    )


@subscribers.command("audit")
@click.option("--limit", default=50, show_default=True, help="How many entries, newest first.")
@click.option("--action", help="Only this action (import, consent, unsubscribe, forget …).")
@json_option()
@click.pass_context
def audit_command(ctx: click.Context, limit: int, action: str | None, as_json: bool) -> None:
    """Show the audit log: who did what to supporters' data, and when."""
    from subscribers.audit import list_entries

    with store_errors(), open_store(ctx) as (_settings, engine):
        entries = list_entries(engine, limit=limit, action=action)
    if as_json:
        print_json([entry.as_dict() for entry in entries])
        return
    rows = [
        (e.at.strftime("%Y-%m-%d %H:%M:%S"), e.who, e.action, e.count, e.detail) for e in entries
    ]
    print_table(
        "Audit log", ("when (UTC)", "who", "action", "rows", "detail"), rows, title_justify="center"
    )


@subscribers.command("export-data")
@click.argument("email")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.pass_context
def export_data_command(ctx: click.Context, email: str, output: Path | None) -> None:
    """Everything held about one supporter, as JSON (subject access request)."""
    from subscribers.privacy import export_data

    with store_errors(), open_store(ctx) as (_settings, engine):
        data = export_data(engine, email)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


_UNITS = {"d": 86400, "h": 3600, "w": 7 * 86400}


def _duration(value: str) -> Any:
    """``30d``, ``12h`` or ``2w`` as a timedelta; anything else is a usage error."""
    from datetime import timedelta

    text = value.strip().lower()
    if len(text) < 2 or text[-1] not in _UNITS or not text[:-1].isdigit():
        raise click.BadParameter(f"{value!r} is not a duration like 30d, 12h or 2w")
    return timedelta(seconds=int(text[:-1]) * _UNITS[text[-1]])


@subscribers.command("purge-pending")
@click.option(
    "--older-than",
    default="30d",
    show_default=True,
    help="Remove signups not confirmed within this long (e.g. 30d, 12h, 2w).",
)
@json_option()
@click.pass_context
def purge_pending_command(ctx: click.Context, older_than: str, as_json: bool) -> None:
    """Delete signups that were never confirmed (double opt-in), with their consent records."""
    from subscribers.privacy import purge_pending

    age = _duration(older_than)
    with store_errors(), open_store(ctx) as (_settings, engine):
        removed = purge_pending(engine, age, who=who())
    if as_json:
        print_json({"purged": removed, "older_than_seconds": int(age.total_seconds())})
    else:
        click.echo(f"purged {removed} unconfirmed signup(s) older than {older_than}")
