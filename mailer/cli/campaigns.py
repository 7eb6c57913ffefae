"""``newsletter campaigns``: the ledger, for the people who answer for it."""

from __future__ import annotations

import sys
from typing import Any

import click

from mailer.cli.common import (
    fail,
    find_campaign,
    json_option,
    open_engine,
    print_json,
    print_table,
    project_dir,
    user_errors,
)
from mailer.clock import utc_now
from mailer.send.states import CampaignState


def _find(engine: Any, ref: str) -> Any:
    campaign = find_campaign(engine, ref)
    if campaign is None:
        fail(f"no campaign {ref!r}; `newsletter campaigns list` shows them")
    return campaign


@click.group()
def campaigns() -> None:
    """List and manage campaigns: show, pause, resume, cancel, resolve unknown deliveries."""


@campaigns.command("list")
@json_option()
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """Every campaign with its status and delivery counts."""
    from mailer.send.campaigns import list_campaigns
    from mailer.send.deliveries import delivery_counts, expire_leases

    with open_engine(project_dir(ctx)) as engine:
        found = list_campaigns(engine)
        for campaign in found:
            if campaign.status in (CampaignState.SENDING, CampaignState.PAUSED):
                expire_leases(engine, campaign.id, now=utc_now())  # dead workers' rows: unknown
        rows = [(c, delivery_counts(engine, c.id)) for c in found]
    if as_json:
        print_json([_summary(c, counts) for c, counts in rows])
        return
    _print_campaigns(rows)


LIST_COLUMNS = ("accepted", "unknown", "suppressed", "failed")


def _print_campaigns(rows: list[tuple[Any, dict[str, int]]]) -> None:
    """A table when it fits the terminal; otherwise one block per campaign.

    Issue ids are often long and alike (``2026-12-…-north``, ``2026-12-…-south``): a table
    squeezed into 80 columns would cut them to the same ``2026-12…``, so a narrow terminal
    gets the id whole on its own line and the counts on the next.
    """
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="Campaigns", title_justify="left")
    for column in ("id", "issue", "status", "recipients", *LIST_COLUMNS):
        table.add_column(column, no_wrap=True)
    for c, n in rows:
        table.add_row(
            *(str(v) for v in (c.id, c.issue_id, c.status, c.recipients)),
            *(str(n[k]) for k in LIST_COLUMNS),
        )
    natural = console.measure(table, options=console.options.update(max_width=10_000))
    if natural.maximum <= console.width:
        console.print(table)
        return
    click.echo("Campaigns")
    for c, n in rows:
        counts = ", ".join(f"{n[k]} {k}" for k in LIST_COLUMNS)
        click.echo(
            f"\n{c.id:>4}  {c.issue_id}\n      {c.status} · {c.recipients} recipients: {counts}"
        )


def _summary(campaign: Any, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "issue_id": campaign.issue_id,
        "status": campaign.status,
        "reason": campaign.status_reason,
        "list": campaign.list_id,
        "subject": campaign.subject,
        "transport": campaign.transport,
        "recipients": campaign.recipients,
        "counts": counts,
        "created_at": campaign.created_at.isoformat(),
        "finished_at": campaign.finished_at.isoformat() if campaign.finished_at else None,
        "email_hash": campaign.email_hash,
        # staged under a cancel window: SendGrid holds it under this batch until send_at
        "sendgrid_batch": campaign.sg_batch_id,
        "sendgrid_send_at": campaign.sg_send_at.isoformat() if campaign.sg_send_at else None,
    }


@campaigns.command()
@click.argument("campaign")
@json_option()
@click.pass_context
def show(ctx: click.Context, campaign: str, as_json: bool) -> None:
    """One campaign (id or issue id): counts, unknown batches, test sends."""
    from mailer.send.campaigns import get_campaign, test_send_history
    from mailer.send.deliveries import delivery_counts, expire_leases, unknown_batches

    with open_engine(project_dir(ctx)) as engine:
        if not campaign.isdigit() and get_campaign(engine, campaign) is None:
            tests = test_send_history(engine, campaign)
            if tests:  # only test or sandbox sends so far: the campaign has not started
                _show_tests_only(campaign, tests, as_json)
                return
        found = _find(engine, campaign)
        expire_leases(engine, found.id, now=utc_now())
        data = _summary(found, delivery_counts(engine, found.id))
        data["unknown_batches"] = unknown_batches(engine, found.id)
        data["test_sends"] = test_send_history(engine, found.issue_id)
        data["events"] = _event_counts(engine, found)
        data["approved_by"] = _approved_by(engine, found)
    if as_json:
        print_json(data)
        return
    rows: list[tuple[object, ...]] = [
        (k, data[k])
        for k in (
            "id",
            "issue_id",
            "status",
            "reason",
            "list",
            "subject",
            "transport",
            "recipients",
            "created_at",
            "finished_at",
            "sendgrid_batch",
            "sendgrid_send_at",
        )
        if not k.startswith("sendgrid_") or data[k] is not None
    ]
    rows.append(("email version", _version(data)))
    rows += [(f"  {state}", n) for state, n in data["counts"].items()]
    rows += [(f"  {kind} (events)", n) for kind, n in data["events"].items()]
    print_table(f"Campaign {found.issue_id}", ("", ""), rows)
    if data["unknown_batches"]:
        print_table(
            "Batches with an unknown outcome (never resent without a decision)",
            ("batch", "recipients", "worker", "since", "note"),
            [
                (b["batch"], b["size"], b["worker"], b["since"], b["note"])
                for b in data["unknown_batches"]
            ],
        )
        click.echo(
            f"Settle them with SendGrid's events, or: newsletter campaigns resolve "
            f"{found.issue_id} --resend | --mark-sent"
        )
    if data["test_sends"]:
        print_table(
            "Test and sandbox sends (not part of the campaign)",
            ("mode", "recipients", "transport", "at"),
            [(t["mode"], t["recipients"], t["transport"], t["at"]) for t in data["test_sends"]],
        )


def _approved_by(engine: Any, campaign: Any) -> list[str]:
    """Who approved the campaign's frozen email (standing approvals of its hash)."""
    from mailer.send.approvals import standing_approvals

    if campaign.email_hash is None:
        return []
    found = standing_approvals(engine, campaign.issue_id)
    return list(dict.fromkeys(a.by for a in found if a.email_hash == campaign.email_hash))


def _version(data: dict[str, Any]) -> str:
    """The frozen email's short hash and who approved it."""
    from mailer.render.email import short_hash

    if not data["email_hash"]:
        return "(not recorded)"
    who = ", ".join(data["approved_by"]) or "nobody"
    return f"{short_hash(data['email_hash'])} (approved by {who})"


def _show_tests_only(issue_id: str, tests: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print_json({"issue_id": issue_id, "status": None, "test_sends": tests})
        return
    click.echo(f"{issue_id}: no campaign yet (nothing sent for real)")
    print_table(
        "Test and sandbox sends (not part of the campaign)",
        ("mode", "recipients", "transport", "at"),
        [(t["mode"], t["recipients"], t["transport"], t["at"]) for t in tests],
    )


def _event_counts(engine: Any, campaign: Any) -> dict[str, int]:
    """SendGrid's events so far (`newsletter report` has the rest)."""
    from mailer.events.report import campaign_report

    found = campaign_report(engine, campaign, links=0)
    return {k: getattr(found, k) for k in ("bounced", "complained", "unsubscribed")}


def _move(
    ctx: click.Context,
    ref: str,
    status: CampaignState,
    allowed: tuple[CampaignState, ...],
    verb: str,
    reason: str | None = None,
) -> None:
    """Move the campaign through :func:`mailer.send.control.move_campaign` and say what
    happened, in the ledger and at SendGrid."""
    from mailer.config import Config
    from mailer.send.control import move_campaign
    from mailer.transports.sendgrid_admin import admin_from_config

    with open_engine(project_dir(ctx)) as engine:
        found = _find(engine, ref)
        with user_errors():
            outcome = move_campaign(
                engine,
                found,
                status,
                only_from=allowed,
                control=lambda: admin_from_config(Config.from_environ()),
                now=utc_now(),
                reason=reason,
            )
    sendgrid = outcome.sendgrid
    first = outcome.was == CampaignState.SENT  # SendGrid was asked before the ledger moved
    if sendgrid is not None and first:
        click.echo(sendgrid.sentence(), err=sendgrid.too_late)
        if sendgrid.too_late:
            sys.exit(1)
    if not outcome.moved:
        fail(f"campaign {found.issue_id} is {found.status}; it cannot be {verb}")
    click.echo(f"campaign {found.issue_id} {verb}")
    if sendgrid is not None and not first:
        click.echo(sendgrid.sentence(), err=sendgrid.too_late)


@campaigns.command()
@click.argument("campaign")
@click.option("--reason", help="Why (shown by `campaigns show`).")
@click.pass_context
def pause(ctx: click.Context, campaign: str, reason: str | None) -> None:
    """Stop sending after the batches in flight; scheduled runs leave it paused."""
    _move(
        ctx,
        campaign,
        CampaignState.PAUSED,
        (CampaignState.SENDING,),
        "paused",
        reason or "paused by a person",
    )


@campaigns.command()
@click.argument("campaign")
@click.pass_context
def resume(ctx: click.Context, campaign: str) -> None:
    """Let a paused campaign send again (the next `send` or `send --due` carries on)."""
    _move(ctx, campaign, CampaignState.SENDING, (CampaignState.PAUSED,), "resumed")


@campaigns.command()
@click.argument("campaign")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def cancel(ctx: click.Context, campaign: str, yes: bool) -> None:
    """Stop a campaign for good; nobody else receives it (the issue id stays used)."""
    if not yes:
        click.confirm(f"Cancel campaign {campaign} for good?", abort=True, err=True)
    _move(
        ctx,
        campaign,
        CampaignState.CANCELLED,
        (CampaignState.SENDING, CampaignState.PAUSED),
        "cancelled",
        "cancelled by a person",
    )


@campaigns.command()
@click.argument("campaign")
@click.option(
    "--resend",
    "action",
    flag_value="resend",
    help="Queue the unknown deliveries again (some people may get it twice).",
)
@click.option(
    "--mark-sent",
    "action",
    flag_value="mark-sent",
    help="Treat the unknown deliveries as sent (some people may miss it).",
)
@click.pass_context
def resolve(ctx: click.Context, campaign: str, action: str | None) -> None:
    """Decide the fate of deliveries whose outcome is unknown."""
    from mailer.send.deliveries import resolve_unknown

    if action is None:
        fail("choose --resend or --mark-sent")
    with open_engine(project_dir(ctx)) as engine:
        found = _find(engine, campaign)
        count = resolve_unknown(engine, found.id, resend=action == "resend", now=utc_now())
    what = (
        "queued again (run `newsletter send` to send them)"
        if action == "resend"
        else ("marked sent")
    )
    click.echo(f"{count} unknown deliveries of {found.issue_id} {what}")
