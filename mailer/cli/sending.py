"""``newsletter send``: send one issue now, or (``--due``) everything that is due.

Exit status, for people and schedulers:

  0  sent (or nothing was due, or another worker holds the last batches and finishes it)
  1  refused before sending anything: check errors, embargo, no transport, no key, said no
  2  a campaign did not finish: paused (the next run resumes it), failed, or stopped
  3  finished, but some deliveries are ``unknown``: see ``newsletter campaigns show``
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mailer.cli.common import fail, open_engine, print_json, project_dir, user_errors

if TYPE_CHECKING:
    from mailer.send.sender import SendReport

EXIT_REFUSED, EXIT_UNFINISHED, EXIT_UNKNOWN = 1, 2, 3


def now_utc() -> datetime:
    return datetime.now(UTC)


@click.command()
@click.argument("issue", required=False)
@click.option(
    "--due",
    is_flag=True,
    help="Send every ready issue whose send_at has passed "
    "and resume interrupted campaigns (the cron entry point).",
)
@click.option("--list", "list_id", help="Send to this list instead of the issue's audience list.")
@click.option(
    "--dry-run", is_flag=True, help="Print the plan and a redacted sample payload; send nothing."
)
@click.option("--test-to", help="Comma-separated addresses: send only to them, marked [TEST].")
@click.option(
    "--sandbox",
    is_flag=True,
    help="Use SendGrid's sandbox mode: validated, "
    "delivered to no one; recorded apart from the campaign.",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 16),
    default=4,
    show_default=True,
    help="Requests in flight at once (SendGrid only).",
)
@click.option(
    "--dev-key",
    is_flag=True,
    envvar="NEWSLETTER_DEV_KEY",
    help="Without NEWSLETTER_SECRET_KEY, sign links with a development-only key.",
)
@click.pass_context
def send(
    ctx: click.Context,
    issue: str | None,
    due: bool,
    list_id: str | None,
    dry_run: bool,
    test_to: str | None,
    sandbox: bool,
    yes: bool,
    as_json: bool,
    concurrency: int,
    dev_key: bool,
) -> None:
    """Send ISSUE (a file or an issue id) to its audience, or with --due everything due.

    Runs `newsletter check` first and refuses on errors or an embargo still in force. Shows the
    transport and the audience count and asks before sending unless --yes. Interactive sends
    with no transport configured go to the local outbox; --due refuses to run without
    NEWSLETTER_TRANSPORT. Exit: 0 sent, 1 refused, 2 unfinished, 3 unknown deliveries.
    """
    if due == bool(issue):
        fail("give either an ISSUE or --due", EXIT_REFUSED)
    from mailer.send.sender import SendOptions

    options = SendOptions(concurrency=concurrency)
    root = project_dir(ctx)
    if due:
        if dry_run or test_to or sandbox or list_id:
            fail("--due cannot be combined with --dry-run, --test-to, --sandbox or --list")
        _send_due(root, options, dev_key=dev_key, as_json=as_json)
        return
    assert issue is not None
    _send_one(
        root,
        issue,
        options,
        list_id=list_id,
        dry_run=dry_run,
        test_to=test_to,
        sandbox=sandbox,
        yes=yes,
        as_json=as_json,
        dev_key=dev_key,
    )


@contextmanager
def _setup(root: Path, *, interactive: bool, dev_key: bool) -> Iterator[Any]:
    from mailer.send.sender import RecipientLinks
    from mailer.settings import load_project
    from mailer.transports import transport_from_env
    from subscribers.errors import SubscriberError
    from subscribers.tokens import signer_from_env

    with user_errors():
        project = load_project(root)
        transport = transport_from_env(os.environ, project, interactive=interactive)
    try:
        try:
            signer = signer_from_env(allow_dev=dev_key)
        except SubscriberError as exc:
            fail(str(exc))
        links = RecipientLinks(signer, project.settings.base_url)
        with open_engine(root) as engine:
            yield project, transport, links, engine
    finally:
        transport.close()


def _send_one(
    root: Path,
    ref: str,
    options: Any,
    *,
    list_id: str | None,
    dry_run: bool,
    test_to: str | None,
    sandbox: bool,
    yes: bool,
    as_json: bool,
    dev_key: bool,
) -> None:
    from mailer.content.issue import find_issue
    from mailer.send.plans import dry_run as plan
    from mailer.send.plans import open_campaign, prepare_email, sandbox_send, test_send

    with _setup(root, interactive=True, dev_key=dev_key) as (project, transport, links, engine):
        with user_errors():
            email = prepare_email(project, find_issue(ref, project), now=now_utc(), list_id=list_id)
        configured = bool(os.environ.get("NEWSLETTER_TRANSPORT"))
        if not configured and not as_json:
            click.echo(
                f"No transport configured (NEWSLETTER_TRANSPORT): writing to the local "
                f"outbox at {transport.target}",
                err=True,
            )
        if dry_run:
            data = plan(engine, email, transport, links, now=now_utc())
            _show(data, as_json, "Dry run: nothing was sent")
            return
        if test_to:
            addresses = [a.strip() for a in test_to.split(",") if a.strip()]
            with user_errors():
                detail = test_send(
                    engine,
                    email,
                    transport,
                    addresses,
                    base_url=project.settings.base_url,
                    now=now_utc(),
                    sandbox=sandbox,
                )
            _show(
                {"mode": "test", "sent_to": addresses, **detail},
                as_json,
                "Test send (marked [TEST]; the campaign is untouched)",
            )
            return
        if sandbox:
            if transport.name != "sendgrid":
                fail("--sandbox needs NEWSLETTER_TRANSPORT=sendgrid")
            with user_errors():
                detail = sandbox_send(engine, email, transport, links, now=now_utc())
            _show(
                {"mode": "sandbox", **detail},
                as_json,
                "Sandbox send (validated by SendGrid, delivered to no one)",
            )
            return
        from subscribers.audience import count_audience

        count = count_audience(engine, email.list_id, email.interests or None)
        if not yes:
            if not sys.stdin.isatty():
                fail("not asking for confirmation without a terminal: add --yes")
            click.confirm(
                f"Send {email.subject!r} to {count} recipient(s) on list {email.list_id} via "
                f"{transport.name} ({transport.target})?",
                abort=True,
                err=True,
            )
        with user_errors():
            campaign = open_campaign(engine, email, transport, now=now_utc(), resume_paused=True)
            if campaign.finished:
                click.echo(
                    f"{campaign.issue_id} was already {campaign.status}; nothing sent", err=True
                )
                _finish([_report_only(engine, campaign)], as_json)
                return
            report = _run_with_progress(engine, campaign, transport, links, options, as_json)
        _finish([report], as_json)


def _send_due(root: Path, options: Any, *, dev_key: bool, as_json: bool) -> None:
    from mailer.errors import MailerError
    from mailer.send.plans import open_campaign, orphan_resumes, plan_due, prepare_email

    with _setup(root, interactive=False, dev_key=dev_key) as (project, transport, links, engine):
        now = now_utc()
        decisions = plan_due(project, engine, now=now)
        reports: list[SendReport] = []
        refused = False
        for decision in decisions:
            if decision.action == "error":
                refused = True
                for problem in decision.problems:
                    click.echo(str(problem), err=True)
                continue
            if not as_json:
                click.echo(f"{decision.path}: {decision.action} ({decision.reason})", err=True)
            if decision.action != "send":
                continue
            try:
                email = prepare_email(project, project.root / decision.path, now=now)
                campaign = open_campaign(engine, email, transport, now=now, resume_paused=True)
                reports.append(
                    _run_with_progress(engine, campaign, transport, links, options, as_json)
                )
            except MailerError as exc:
                refused = True
                click.echo(f"error: {decision.path}: {exc}", err=True)
        for campaign in orphan_resumes(engine, decisions):
            reports.append(_run_with_progress(engine, campaign, transport, links, options, as_json))
        code = _finish(reports, as_json, exit_now=False)
        sys.exit(max(code, EXIT_REFUSED if refused and code == 0 else code))


def _run_with_progress(
    engine: Any, campaign: Any, transport: Any, links: Any, options: Any, quiet: bool
) -> SendReport:
    """Send one campaign with a progress bar on stderr; a stop (e.g. a bad API key) exits 2."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from mailer.send.campaigns import new_worker_id
    from mailer.send.deliveries import delivery_counts
    from mailer.send.sender import StoppedSending, prepare_campaign

    # a unique owner: two runs at once must never release each other's lock
    campaign = prepare_campaign(engine, campaign, clock=now_utc, owner=new_worker_id())
    counts = delivery_counts(engine, campaign.id)
    done_before = campaign.recipients - counts["queued"]
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=quiet,
        transient=False,
    )
    with progress:
        task = progress.add_task(
            campaign.issue_id, total=campaign.recipients, completed=done_before
        )
        try:
            from mailer.send.sender import send_campaign

            return send_campaign(
                engine,
                campaign,
                transport,
                links,
                clock=now_utc,
                options=options,
                progress=lambda n: progress.advance(task, n),
            )
        except StoppedSending as exc:
            progress.stop()
            click.echo(f"error: {exc}", err=True)
            _finish([exc.report], quiet, exit_now=False)
            sys.exit(EXIT_UNFINISHED)


def _report_only(engine: Any, campaign: Any) -> SendReport:
    from mailer.send.deliveries import delivery_counts, unknown_batches
    from mailer.send.sender import SendReport

    return SendReport(
        campaign.id,
        campaign.issue_id,
        campaign.status,
        campaign.status_reason,
        campaign.recipients,
        delivery_counts(engine, campaign.id),
        0,
        0,
        tuple(unknown_batches(engine, campaign.id)),
        0.0,
    )


def _show(data: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        print_json(data)
        return
    from mailer.cli.common import print_table

    rows = [(k, v if not isinstance(v, dict | list) else _short(v)) for k, v in data.items()]
    print_table(title, ("", ""), rows)
    if isinstance(data.get("sample_payload"), dict):
        print_json(data["sample_payload"])


def _short(value: Any) -> str:
    import json

    text = json.dumps(value)
    return text if len(text) < 60 else text[:57] + "…"


def _others_finishing(report: SendReport) -> bool:
    """Still ``sending`` with nothing left to claim: another worker holds the last batches.

    (Or has just settled them and is about to mark the campaign sent; a worker that died
    instead leaves it ``sending``, and the next run finishes it.)
    """
    return report.status == "sending" and not report.counts.get("queued")


def _finish(reports: list[SendReport], as_json: bool, exit_now: bool = True) -> int:
    code = 0
    for report in reports:
        if report.status != "sent" and not _others_finishing(report):
            code = max(code, EXIT_UNFINISHED)
        elif report.counts.get("unknown"):
            code = max(code, EXIT_UNKNOWN)
    if as_json:
        print_json({"campaigns": [r.as_dict() for r in reports], "exit": code})
    else:
        from mailer.cli.common import print_table

        for r in reports:
            rows = [
                ("status", r.status),
                ("recipients", r.recipients),
                ("sent in this run", r.sent_now),
                ("requests", r.requests),
            ]
            rows += [(f"  {state}", n) for state, n in r.counts.items()]
            rows.append(("seconds", f"{r.seconds:.2f}"))
            print_table(f"Campaign {r.issue_id}", ("", ""), rows)
            if r.reason:
                click.echo(f"{r.issue_id}: {r.reason}", err=True)
            if _others_finishing(r):
                click.echo(
                    f"{r.issue_id}: nothing left to claim; another worker is finishing the "
                    f"campaign ({r.counts['claimed']} deliveries in flight)",
                    err=True,
                )
            if r.counts.get("unknown"):
                click.echo(
                    f"{r.issue_id}: {r.counts['unknown']} deliveries have an unknown "
                    f"outcome and will not be resent; see `newsletter campaigns show "
                    f"{r.issue_id}` and resolve with `newsletter campaigns resolve`",
                    err=True,
                )
    if exit_now:
        sys.exit(code)
    return code
