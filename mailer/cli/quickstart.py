"""``newsletter quickstart``: the main job end to end on the embedded defaults.

Imports the sample subscribers (fake people at example.org) into the SQLite database and
sends the sample digest to the local outbox, then says where to look. Safe to run twice:
nobody is imported or sent to twice.
"""

from __future__ import annotations

import click

from mailer.cli.common import fail, open_engine, project_dir, user_errors
from mailer.clock import utc_now

SAMPLE_ISSUE = "2026-12-secondary-research"
SAMPLE_LIST = "research-news"


@click.command()
@click.pass_context
def quickstart(ctx: click.Context) -> None:
    """Import examples/subscribers.csv and send the sample issue to the local outbox."""
    from mailer.config import Config
    from mailer.content.issue import find_issue
    from mailer.send.plans import open_campaign, prepare_email
    from mailer.send.runs import run_campaign
    from mailer.send.sender import RecipientLinks
    from mailer.settings import load_project
    from mailer.transports.outbox import OutboxTransport
    from subscribers.audit import os_user
    from subscribers.errors import SubscriberError
    from subscribers.importer import import_csv
    from subscribers.keys import hasher_from_env
    from subscribers.tokens import signer_from_env

    root = project_dir(ctx)
    csv_path = root / "examples" / "subscribers.csv"
    if not csv_path.exists():
        fail(f"{csv_path}: the sample subscriber list is missing")
    with user_errors():
        config = Config.from_environ()
    dev = not config.has_secret_key
    if dev:
        click.echo(
            "NEWSLETTER_SECRET_KEY is not set: using the development-only key "
            "(fine for the quick start, never for real supporters)"
        )
    with user_errors():
        project = load_project(root)
        now = utc_now()
        email = prepare_email(project, find_issue(SAMPLE_ISSUE, project), now=now)
    transport = OutboxTransport(config.outbox_dir or root / "outbox", unsubscribe_mailto=None)
    try:
        with open_engine(root) as engine, user_errors():
            try:
                summary = import_csv(
                    engine,
                    csv_path,
                    SAMPLE_LIST,
                    hasher=hasher_from_env(allow_dev=dev),
                    who=os_user(),
                    interests=[],
                    allowed_interests=project.settings.interest_ids,
                    consent_source="quick start sample (fake people)",
                    rejects_path=None,
                )
                links = RecipientLinks(signer_from_env(allow_dev=dev), project.settings.base_url)
            except SubscriberError as exc:
                fail(str(exc))
            counts = summary.as_dict()
            click.echo(
                f"1. imported {csv_path.relative_to(root)} into list {SAMPLE_LIST}: "
                f"{counts.get('added', 0)} added, {counts.get('unchanged', 0)} unchanged"
            )
            campaign = open_campaign(engine, email, transport, now=now, resume_paused=True)
            if campaign.finished:
                click.echo(
                    f"2. {SAMPLE_ISSUE} was already {campaign.status}: nobody is sent "
                    "the same issue twice"
                )
            else:
                report = run_campaign(engine, campaign, transport, links, clock=utc_now)
                click.echo(
                    f"2. sent {SAMPLE_ISSUE} to {report.counts['accepted']} "
                    f"recipients through the local outbox"
                )
    finally:
        transport.close()
    folder = transport.folder_for(email, {"campaign_id": str(campaign.id)})
    click.echo(f"3. look in {folder}: one .eml per supporter; open any in a mail client")
    click.echo("   campaigns: .venv/bin/newsletter campaigns list")
