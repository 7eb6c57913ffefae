"""``newsletter send``: send one issue now, or (``--due``) everything that is due.

Exit status, for people and schedulers (``mailer.send.runs.Outcome``):

  0  sent (or nothing was due, or another worker holds the last batches and finishes it)
  1  refused before sending anything: check errors, embargo, no transport, no key, said no
  2  a campaign did not finish: paused (the next run resumes it), failed, or stopped
  3  finished, but some deliveries are ``unknown``: see ``newsletter campaigns show``

The work is the library's (``send_issue``, ``send_due``); this module parses the options,
asks before sending, shows progress and prints the reports.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

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

    from mailer.config import Config
    from mailer.errors import MailerError
    from mailer.send.campaigns import Campaign
    from mailer.send.plans import DueDecision
    from mailer.send.runs import Outcome
    from mailer.send.sender import RecipientLinks, SendOptions, SendReport
    from mailer.settings import Project
    from mailer.transports.base import Transport


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
@click.option(
    "--test-to",
    help="Comma-separated addresses: send a proof only to them, marked [PROOF] (works while "
    "an embargo holds and whatever the status; recorded, listed by `newsletter proofs`).",
)
@click.option(
    "--sandbox",
    is_flag=True,
    help="Use SendGrid's sandbox mode: validated, "
    "delivered to no one; recorded apart from the campaign.",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option("Print the result as JSON.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 16),
    default=4,
    show_default=True,
    help="Requests in flight at once (SendGrid only).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=1,
    show_default=True,
    help="Processes sending at once, each with --concurrency requests in flight, sharing "
    "the campaign's ledger (SendGrid only; one Python process uses one CPU core).",
)
@click.option(
    "--dev-key",
    is_flag=True,
    envvar=DEV_KEY,
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
    workers: int,
    dev_key: bool,
) -> None:
    """Send ISSUE (a file or an issue id) to its audience, or with --due everything due.

    Runs `newsletter check` first and refuses on errors, an embargo still in force or (when
    newsletter.yaml requires it) an email nobody approved as it renders now. Shows the
    transport and the audience count and asks before sending unless --yes. Interactive sends
    with no transport configured go to the local outbox; --due refuses to run without
    NEWSLETTER_TRANSPORT. Exit: 0 sent, 1 refused, 2 unfinished, 3 unknown deliveries.
    """
    from mailer.send.runs import Outcome

    if due == bool(issue):
        fail("give either an ISSUE or --due", int(Outcome.REFUSED))
    from mailer.send.sender import SendOptions

    options = SendOptions(concurrency=concurrency, workers=workers)
    root = project_dir(ctx)
    if due:
        if dry_run or test_to or sandbox or list_id:
            fail("--due cannot be combined with --dry-run, --test-to, --sandbox or --list")
        _send_due(root, options, dev_key=dev_key, as_json=as_json)
        return
    if issue is None:  # unreachable: checked above; narrows the type
        raise click.UsageError("ISSUE is missing")
    one = _One(list_id=list_id, test_to=test_to, yes=yes, as_json=as_json)
    with _setup(root, interactive=True, dev_key=dev_key) as setup:
        if dry_run:
            _dry_run(setup, issue, one)
        elif test_to or sandbox:
            _test_or_sandbox(setup, issue, one, sandbox=sandbox)
        else:
            _send_one(setup, issue, one, options)


class _Setup(NamedTuple):
    project: Project
    config: Config
    transport: Transport
    links: RecipientLinks
    engine: Engine


class _One(NamedTuple):
    list_id: str | None
    test_to: str | None
    yes: bool
    as_json: bool


@contextmanager
def _setup(root: Path, *, interactive: bool, dev_key: bool) -> Iterator[_Setup]:
    from mailer.config import Config
    from mailer.send.sender import RecipientLinks
    from mailer.settings import load_project
    from mailer.transports import transport_from_config
    from subscribers.errors import SubscriberError
    from subscribers.tokens import signer_from_env

    with user_errors():
        project = load_project(root)
        config = Config.from_environ()
        transport = transport_from_config(config, project, interactive=interactive)
    try:
        try:
            signer = signer_from_env(allow_dev=dev_key)
        except SubscriberError as exc:
            fail(str(exc))
        links = RecipientLinks(signer, project.settings.base_url)
        with open_engine(root) as engine:
            yield _Setup(project, config, transport, links, engine)
    finally:
        transport.close()


def _prepare(setup: _Setup, ref: str, one: _One, *, gate: bool = False) -> Any:
    """Check and render the issue; say so when sends go to the outbox for want of a transport.

    A proof (``--test-to``) is rendered whatever the embargo; a real send (``gate``) is also
    refused without the approvals ``newsletter.yaml`` requires.
    """
    from mailer.content.issue import find_issue
    from mailer.send.plans import checked_email, prepare_email

    project, now = setup.project, utc_now()
    with user_errors():
        path = find_issue(ref, project)
        if one.test_to:
            email = checked_email(project, path, now=now, list_id=one.list_id)[1]
        else:
            engine = setup.engine if gate else None
            email = prepare_email(project, path, now=now, list_id=one.list_id, engine=engine)
    if not setup.config.transport and not one.as_json:
        click.echo(
            f"No transport configured (NEWSLETTER_TRANSPORT): writing to the local "
            f"outbox at {setup.transport.target}",
            err=True,
        )
    return email


def _dry_run(setup: _Setup, ref: str, one: _One) -> None:
    from mailer.send.plans import dry_run

    email = _prepare(setup, ref, one)
    data = dry_run(setup.engine, email, setup.transport, setup.links, now=utc_now())
    _show(data, one.as_json, "Dry run: nothing was sent")


def _test_or_sandbox(setup: _Setup, ref: str, one: _One, *, sandbox: bool) -> None:
    from mailer.send.plans import sandbox_send

    email = _prepare(setup, ref, one)
    engine, transport = setup.engine, setup.transport
    if one.test_to:
        from mailer.cli.signoff import send_proofs

        send_proofs(setup.project, engine, transport, email, one.test_to, sandbox, one.as_json)
        return
    if not transport.supports_sandbox:
        fail("--sandbox needs NEWSLETTER_TRANSPORT=sendgrid")
    with user_errors():
        detail = sandbox_send(engine, email, transport, setup.links, now=utc_now())
    _show(
        {"mode": "sandbox", **detail},
        one.as_json,
        "Sandbox send (validated by SendGrid, delivered to no one)",
    )


def _send_one(setup: _Setup, ref: str, one: _One, options: SendOptions) -> None:
    from mailer.send.runs import send_issue
    from subscribers.audience import count_audience

    email = _prepare(setup, ref, one, gate=True)
    engine, transport = setup.engine, setup.transport
    if not one.yes:
        count = count_audience(engine, email.list_id, email.interests or None)
        if not sys.stdin.isatty():
            fail("not asking for confirmation without a terminal: add --yes")
        click.confirm(
            f"Send {email.subject!r} to {count} recipient(s) on list {email.list_id} via "
            f"{transport.name} ({transport.target})?",
            abort=True,
            err=True,
        )
    with user_errors(), _stops(one.as_json):
        report = send_issue(
            engine,
            email,
            transport,
            setup.links,
            clock=utc_now,
            options=options,
            observer=_Screen(quiet=one.as_json),
        )
    sys.exit(int(_print_reports([report], one.as_json)))


def _send_due(root: Path, options: SendOptions, *, dev_key: bool, as_json: bool) -> None:
    from mailer.send.runs import send_due

    with _setup(root, interactive=False, dev_key=dev_key) as setup:
        with user_errors(), _stops(as_json):
            run = send_due(
                setup.project,
                setup.engine,
                setup.transport,
                setup.links,
                clock=utc_now,
                options=options,
                observer=_Screen(quiet=as_json),
            )
        _print_reports(run.reports, as_json)
        sys.exit(int(run.outcome))


class _Screen:
    """Shows a run on stderr: a line per due decision and a progress bar per campaign."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet

    def decided(self, decision: DueDecision) -> None:
        """An invalid file lists its problems (always); the others say what happens."""
        if decision.action == "error":
            for problem in decision.problems:
                click.echo(str(problem), err=True)
        elif not self.quiet:
            click.echo(f"{decision.path}: {decision.action} ({decision.reason})", err=True)

    def refused(self, decision: DueDecision, error: MailerError) -> None:
        """One line; the run goes on."""
        click.echo(f"error: {decision.path}: {error}", err=True)

    def already_finished(self, campaign: Campaign) -> None:
        """Nothing is sent twice."""
        click.echo(f"{campaign.issue_id} was already {campaign.status}; nothing sent", err=True)

    @contextmanager
    def sending(self, campaign: Campaign, done: int) -> Iterator[Callable[[int], None]]:
        """A progress bar on stderr (none with --json, which does not even load rich)."""
        if self.quiet:
            yield lambda n: None
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        with progress:
            task = progress.add_task(campaign.issue_id, total=campaign.recipients, completed=done)
            yield lambda n: progress.advance(task, n)


@contextmanager
def _stops(as_json: bool) -> Iterator[None]:
    """A stop (e.g. a refused API key) prints the error and the report so far, and exits 2."""
    from mailer.send.runs import Outcome
    from mailer.send.sender import StoppedSending

    try:
        yield
    except StoppedSending as exc:
        click.echo(f"error: {exc}", err=True)
        _print_reports([exc.report], as_json)
        sys.exit(int(Outcome.UNFINISHED))


def _show(data: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        print_json(data)
        return
    rows = [(k, v if not isinstance(v, dict | list) else _short(v)) for k, v in data.items()]
    print_table(title, ("", ""), rows)
    if isinstance(data.get("sample_payload"), dict):
        print_json(data["sample_payload"])


def _short(value: Any) -> str:
    import json

    text = json.dumps(value)
    return text if len(text) < 60 else text[:57] + "…"


def _print_reports(reports: list[SendReport] | tuple[SendReport, ...], as_json: bool) -> Outcome:
    """Each campaign's report (a table, or JSON with the exit status); returns the outcome."""
    from mailer.send.runs import others_finishing, outcome_of

    outcome = outcome_of(reports)
    if as_json:
        print_json({"campaigns": [r.as_dict() for r in reports], "exit": int(outcome)})
        return outcome
    for r in reports:
        rows: list[tuple[object, ...]] = [
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
        if others_finishing(r):
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
    return outcome
