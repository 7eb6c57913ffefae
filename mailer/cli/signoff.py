"""Signing off an issue: ``newsletter proofs`` and ``newsletter approve``.

``send --test-to`` sends a proof through :func:`send_proofs` here; the work is the library's
(:mod:`mailer.send.proofs`, :mod:`mailer.send.approvals`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailer.cli.common import (
    json_option,
    open_engine,
    print_json,
    print_table,
    project_dir,
    user_errors,
)
from mailer.clock import utc_now

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mailer.render.email import Email
    from mailer.send.proofs import ProofResult
    from mailer.settings import Project
    from mailer.transports.base import Transport


def send_proofs(
    project: Project,
    engine: Engine,
    transport: Transport,
    email: Email,
    test_to: str,
    sandbox: bool,
    as_json: bool,
) -> None:
    """``send ISSUE --test-to A,B``: the proof, recorded under the OS user, then shown."""
    from mailer.send.proofs import send_proof
    from subscribers.audit import os_user

    with user_errors():
        proof = send_proof(
            engine,
            project,
            email,
            transport,
            test_to.split(","),
            requested_by=os_user(),
            now=utc_now(),
            sandbox=sandbox,
        )
    if as_json:
        print_json({"mode": "proof", **proof.as_dict()})
        return
    _print_proofs(
        f"Proof of {proof.issue_id} sent (no campaign, nothing used up)", [proof], project
    )


def _print_proofs(title: str, found: list[ProofResult], project: Project) -> None:
    from mailer.send.proofs import display_zone, local_time

    zone = display_zone(project)
    print_table(
        title,
        ("version", "to", "requested by", "at", "embargoed until", "via"),
        [
            (
                p.version,
                ", ".join(p.recipients),
                p.requested_by,
                local_time(p.at, zone),
                local_time(p.embargo_until, zone) if p.embargo_until else "",
                p.transport,
            )
            for p in found
        ],
    )


def _issue_id(project: Project, ref: str) -> str:
    """The issue id ``ref`` names: a file's ``id`` (or its name), or ``ref`` itself."""
    from mailer.content.issue import find_issue, parse_issue
    from mailer.errors import MailerError

    try:
        path = find_issue(ref, project)
    except MailerError:
        if "/" in ref or ref.endswith((".yaml", ".yml")):
            raise
        return ref  # e.g. the file is gone: its records remain
    parsed = parse_issue(path, project)
    return parsed.issue.id if parsed.issue else Path(path).stem


@click.command()
@click.argument("issue")
@json_option()
@click.pass_context
def proofs(ctx: click.Context, issue: str, as_json: bool) -> None:
    """Every proof of ISSUE (a file or an issue id): version, recipients, who asked, when."""
    from mailer.send.proofs import list_proofs
    from mailer.settings import load_project

    root = project_dir(ctx)
    with user_errors():
        project = load_project(root)
        issue_id = _issue_id(project, issue)
    with open_engine(root) as engine:
        found = list_proofs(engine, issue_id)
    if as_json:
        print_json({"issue_id": issue_id, "proofs": [p.as_dict() for p in found]})
        return
    if not found:
        click.echo(f"{issue_id}: no proofs yet (newsletter send {issue} --test-to ADDRESS)")
        return
    _print_proofs(f"Proofs of {issue_id}", found, project)


@click.command()
@click.argument("issue")
@click.option("--by", "by", required=True, help="Who approves (or withdraws): a person's name.")
@click.option("--withdraw", is_flag=True, help="Withdraw this person's approval instead.")
@json_option()
@click.pass_context
def approve(ctx: click.Context, issue: str, by: str, withdraw: bool, as_json: bool) -> None:
    """Approve ISSUE's email exactly as it renders now (or --withdraw an approval).

    The approval is bound to the rendered email's hash: after any change to what supporters
    would receive (a field, a template, an image, newsletter.yaml) it no longer counts, and
    `send` (when newsletter.yaml sets approval.required) says what changed. Approvals and
    withdrawals go into the audit log.
    """
    from mailer.settings import load_project

    root = project_dir(ctx)
    with user_errors():
        project = load_project(root)
    if withdraw:
        _withdraw(root, project, issue, by, as_json)
    else:
        _approve(root, project, issue, by, as_json)


def _approve(root: Path, project: Project, ref: str, by: str, as_json: bool) -> None:
    from mailer.content.issue import find_issue
    from mailer.render.email import email_hash, short_hash
    from mailer.render.manifest import render_manifest
    from mailer.send import approvals
    from mailer.send.plans import checked_email
    from subscribers.audit import os_user

    now = utc_now()
    rule = project.settings.approval
    with user_errors():
        issue, email = checked_email(project, find_issue(ref, project), now=now)
        manifest = render_manifest(issue, project)
    with open_engine(root) as engine, user_errors():
        mine = approvals.approve(
            engine, issue.id, email_hash(email), manifest, by, now, who=os_user(), text=email.text
        )
        status = approvals.approval_status(engine, email, rule.required, rule.approvers, manifest)
    if as_json:
        print_json(status.as_dict())
        return
    click.echo(f"{issue.id}: {mine.by} approved version {short_hash(mine.email_hash)}")
    if not status.ok:
        click.echo(status.message)


def _withdraw(root: Path, project: Project, ref: str, by: str, as_json: bool) -> None:
    from mailer.send.approvals import withdraw
    from subscribers.audit import os_user

    with user_errors():
        issue_id = _issue_id(project, ref)
    with open_engine(root) as engine, user_errors():
        count = withdraw(engine, issue_id, by, utc_now(), who=os_user())
    if as_json:
        print_json({"issue_id": issue_id, "withdrawn": count, "by": by})
        return
    click.echo(f"{issue_id}: withdrew {count} approval(s) by {by}")
