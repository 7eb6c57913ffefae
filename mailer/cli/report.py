"""``newsletter report ISSUE``: what happened to a sent issue, from the ledger and SendGrid."""

from __future__ import annotations

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
)


@click.command()
@click.argument("issue")
@json_option()
@click.option(
    "--links",
    default=5,
    show_default=True,
    type=click.IntRange(0, 100),
    help="How many of the most clicked links to list.",
)
@click.pass_context
def report(ctx: click.Context, issue: str, as_json: bool, links: int) -> None:
    """Accepted, delivered, opened, clicked, bounced, complained, unsubscribed for an issue.

    ISSUE is the issue id (or the campaign's number). Counts come from SendGrid's events as
    the webhook recorded them; opened and clicked count people, not events.
    """
    from mailer.events.report import campaign_report

    with open_engine(project_dir(ctx)) as engine:
        campaign = find_campaign(engine, issue)
        if campaign is None:
            fail(f"no campaign for issue {issue!r}; `newsletter campaigns list` shows them")
        found = campaign_report(engine, campaign, links=links)
    if as_json:
        print_json(found.as_dict())
        return
    _print(found)


def _print(found: Any) -> None:
    def share(count: int) -> str:
        rate = found.rate(count)
        return "" if rate is None else f"{rate:.1%}"

    rows: list[tuple[object, ...]] = [
        ("recipients", found.recipients, ""),
        ("accepted", found.accepted, ""),
        ("unknown", found.unknown, "not settled yet" if found.unknown else ""),
        ("delivered", found.delivered, share(found.delivered)),
        ("opened (people)", found.opened, share(found.opened)),
        ("machine opens (not counted)", found.machine_opens, ""),
        ("clicked (people)", found.clicked, share(found.clicked)),
        ("bounced (hard)", found.bounced, share(found.bounced)),
        ("blocked or expired", found.blocked, share(found.blocked)),
        ("dropped", found.dropped, share(found.dropped)),
        ("deferred (events)", found.deferred, ""),
        ("complained", found.complained, share(found.complained)),
        ("unsubscribed", found.unsubscribed, share(found.unsubscribed)),
    ]
    title = f"Campaign {found.issue_id} ({found.status})"
    print_table(title, ("", "count", "of accepted"), rows)
    if found.reason:
        click.echo(f"reason: {found.reason}")
    if found.bounce_classes:
        print_table(
            "Bounces by classification",
            ("classification", "bounced (hard)", "blocked or expired"),
            [(item.classification, item.bounced, item.blocked) for item in found.bounce_classes],
        )
    if found.top_links:
        print_table(
            "Most clicked links",
            ("link", "people", "clicks"),
            [(link.url, link.clickers, link.clicks) for link in found.top_links],
        )
