"""Sign-off from the one-issue page: proofs, "approve this version", "withdraw".

``POST /staff/issues/{name}/proof`` sends a proof of the email as it renders now to the
member of staff ("to me") or to the addresses typed, through the configured transport;
``…/approve`` and ``…/withdraw`` record an approval of this version (bound to the email's
hash) or withdraw it. All three call the library ``newsletter send --test-to`` and
``newsletter approve`` use (:mod:`mailer.send.proofs`, :mod:`mailer.send.approvals`); the
approval is recorded under the staff member's name, the audit entry as ``staff:<email>``.
"""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailer.errors import MailerError
from mailer.render.changes import text_diff
from mailer.render.check import FileReport
from mailer.render.email import Email, email_hash, personalise, short_hash
from mailer.render.manifest import render_manifest
from mailer.send.approvals import ApprovalStatus, approval_status, approve, withdraw
from mailer.send.plans import checked_email
from mailer.send.proofs import ProofResult, list_proofs, send_proof
from mailer.settings import load_project
from mailer.transports import transport_from_env
from mailer.web.forms import text_field
from mailer.web.pages import Endpoint
from mailer.web.preview import SAMPLE_VALUES, Preview
from mailer.web.staff.console import Console
from mailer.web.staff.sessions import Session


def signoff_routes(console: Console) -> list[Route]:
    preview = Preview(console.project.root)
    return [
        Route("/staff/issues/{name}/proof", _proof(console, preview), methods=["POST"]),
        Route("/staff/issues/{name}/approve", _approve(console, preview), methods=["POST"]),
        Route("/staff/issues/{name}/withdraw", _withdraw(console, preview), methods=["POST"]),
    ]


def signoff_context(console: Console, report: FileReport) -> dict[str, object]:
    """What the one-issue page shows of its sign-off: proofs, approvals, what changed."""
    if report.issue is None or report.email is None:
        return {"proofs": [], "approval": None, "version": "", "text_diff": None, "diff_note": ""}
    project = load_project(console.project.root)
    rule = project.settings.approval
    manifest = render_manifest(report.issue, project)
    status = approval_status(console.engine, report.email, rule.required, rule.approvers, manifest)
    return {
        "proofs": list_proofs(console.engine, report.issue.id),
        "approval": status,
        "version": short_hash(email_hash(report.email)),
        **approved_text_diff(status, report.email),
    }


def approved_text_diff(status: ApprovalStatus, email: Email) -> dict[str, object]:
    """The plain-text part's diff, approved version → now, as ``(css class, line)`` pairs.

    Both sides are personalised with the preview's sample values, as the page shows the text;
    ``diff_note`` says why there is no diff (the same text, or an approval from before the
    text was kept).
    """
    since = status.since
    if status.current or since is None:
        return {"text_diff": None, "diff_note": ""}
    if since.text is None:
        note = (
            f"The plain-text diff is not available for version {short_hash(since.email_hash)}: "
            "it was approved before approvals kept the text."
        )
        return {"text_diff": None, "diff_note": note}
    diff = text_diff(
        personalise(since.text, SAMPLE_VALUES),
        personalise(email.text, SAMPLE_VALUES),
        f"version {short_hash(since.email_hash)} (approved by {since.by})",
        "now",
    )
    if not diff:
        return {"text_diff": None, "diff_note": "The plain-text part is the same as approved."}
    lines = [
        ("add" if line.startswith("+") else "del" if line.startswith("-") else "", line)
        for line in diff.splitlines()
    ]
    return {"text_diff": lines, "diff_note": ""}


def approved_by(console: Console, report: FileReport) -> tuple[str, ...]:
    """Who approved the email as it renders now (for the issues list)."""
    if report.email is None:
        return ()
    rule = console.project.settings.approval
    return approval_status(console.engine, report.email, rule.required, rule.approvers).people


def _page(name: str) -> str:
    return f"/staff/issues/{name}"


def _proof(console: Console, preview: Preview) -> Endpoint:
    @console.guard("proof")
    async def proof(request: Request, session: Session) -> Response:
        path = preview.find(request.path_params["name"])
        form = await request.form()
        typed = text_field(form, "addresses", 2000)
        to_me = text_field(form, "to", 10) == "me"
        addresses = [session.account.email] if to_me else [a for a in typed.split(",") if a]
        if not addresses:
            return console.redirect(
                session, _page(path.name), "Type at least one address for the proof."
            )
        try:
            result = await run_in_threadpool(_send, console, session, path, addresses)
        except MailerError as exc:
            return console.redirect(session, _page(path.name), f"No proof sent: {exc}")
        console.audit(
            session,
            "proof",
            detail=f"{result.issue_id} version {result.version} to {len(result.recipients)}",
            count=len(result.recipients),
        )
        return console.redirect(
            session,
            _page(path.name),
            f"Proof of version {result.version} sent to {', '.join(addresses)}.",
        )

    return proof


def _send(console: Console, session: Session, path: Path, addresses: list[str]) -> ProofResult:
    project = load_project(console.project.root)
    now = console.clock()
    _issue, email = checked_email(project, path, now=now)
    transport = transport_from_env(console.environ, project, interactive=True)
    try:
        return send_proof(
            console.engine,
            project,
            email,
            transport,
            addresses,
            requested_by=session.account.who,
            now=now,
        )
    finally:
        transport.close()


def _approve(console: Console, preview: Preview) -> Endpoint:
    @console.guard("approve")
    async def approve_version(request: Request, session: Session) -> Response:
        path = preview.find(request.path_params["name"])
        project = load_project(console.project.root)
        now = console.clock()
        try:
            issue, email = await run_in_threadpool(checked_email, project, path, now=now)
            mine = approve(
                console.engine,
                issue.id,
                email_hash(email),
                render_manifest(issue, project),
                session.account.name,
                now,
                who=session.account.who,
                text=email.text,
            )
        except MailerError as exc:
            return console.redirect(session, _page(path.name), f"Not approved: {exc}")
        return console.redirect(
            session, _page(path.name), f"{mine.by} approved version {short_hash(mine.email_hash)}."
        )

    return approve_version


def _withdraw(console: Console, preview: Preview) -> Endpoint:
    @console.guard("withdraw")
    async def withdraw_approval(request: Request, session: Session) -> Response:
        path = preview.find(request.path_params["name"])
        report = await run_in_threadpool(preview.report, path)
        if report.issue is None:
            return console.redirect(
                session, _page(path.name), "This file has errors: there is nothing to withdraw."
            )
        try:
            count = withdraw(
                console.engine,
                report.issue.id,
                session.account.name,
                console.clock(),
                who=session.account.who,
            )
        except MailerError as exc:
            return console.redirect(session, _page(path.name), str(exc))
        return console.redirect(
            session, _page(path.name), f"Withdrew {count} approval(s) by {session.account.name}."
        )

    return withdraw_approval
