"""Approvals bound to the rendered email: who signed off which version, and what changed since.

An approval names a person and the hash of the email as it rendered when they approved it
(:func:`mailer.render.email.email_hash`), with the manifest of what it was rendered from
(:func:`mailer.render.manifest.render_manifest`). When ``newsletter.yaml`` sets
``approval: {required: true, approvers: N}``, a send needs N different people's approvals of
the email *as it renders now*; an approval of an older version counts for nothing, and the
refusal says what changed since it. Approvals and withdrawals go into the audit log.

The staff console and the CLI call::

    approve(engine, issue_id, email_hash, manifest, by, now, text=...) -> Approval
    withdraw(engine, issue_id, by, now) -> int
    approval_status(engine, email, required, approvers, manifest) -> ApprovalStatus
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from mailer.errors import ApprovalError
from mailer.render.email import Email, email_hash, short_hash
from mailer.render.manifest import IMAGE, manifest_changes
from mailer.send.tables import approvals
from subscribers.audit import record_action
from subscribers.db import read_connection, write_transaction

APPROVED = "issue.approved"
WITHDRAWN = "issue.approval_withdrawn"


@dataclass(frozen=True)
class Approval:
    """One person's sign-off of one version of an issue's email."""

    id: int
    issue_id: str
    email_hash: str
    by: str
    at: datetime
    manifest: Mapping[str, str]
    text: str | None = None  # the plain-text part approved (None: approved before it was kept)

    def as_dict(self) -> dict[str, Any]:
        return {
            "issue_id": self.issue_id,
            "email_hash": self.email_hash,
            "by": self.by,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class ApprovalStatus:
    """Whether the email as rendered now may be sent, and the line that says why (not)."""

    issue_id: str
    email_hash: str
    required: bool
    approvers: int
    approvals: tuple[Approval, ...]  # every standing approval of the issue, any version
    current: tuple[Approval, ...]  # those of the email as rendered now (and its images)
    changes: tuple[str, ...]  # since the newest approval of another version
    since: Approval | None = None  # that approval, when the email no longer matches it

    @property
    def people(self) -> tuple[str, ...]:
        """The different people who approved the email as rendered now."""
        seen: dict[str, str] = {}
        for a in self.current:
            seen.setdefault(_person(a.by), a.by)
        return tuple(seen.values())

    @property
    def ok(self) -> bool:
        return not self.required or len(self.people) >= self.approvers

    @property
    def message(self) -> str:
        version = short_hash(self.email_hash)
        if self.ok:
            if not self.people:
                return f"{self.issue_id}: approval not required ({version})"
            return f"{self.issue_id}: version {version} approved by {', '.join(self.people)}"
        needed = self.approvers - len(self.people)
        text = (
            f"{self.issue_id}: needs {needed} more approval(s) of the email as it renders "
            f"now (version {version}; {self.approvers} different people required)"
        )
        if self.approvals:
            text += "; approved: " + ", ".join(
                f"{a.by} (version {short_hash(a.email_hash)})" for a in self.approvals
            )
        else:
            text += "; nobody has approved it"
        if self.changes:
            text += "; changed since: " + ", ".join(self.changes)
        return text + f"; after a proof, run: newsletter approve {self.issue_id} --by NAME"

    def as_dict(self) -> dict[str, Any]:
        return {
            "issue_id": self.issue_id,
            "email_hash": self.email_hash,
            "ok": self.ok,
            "required": self.required,
            "approvers": self.approvers,
            "approved_by": list(self.people),
            "approvals": [a.as_dict() for a in self.approvals],
            "changes": list(self.changes),
            "message": self.message,
        }


def _person(name: str) -> str:
    """The same person however their name is cased or spaced."""
    return " ".join(name.split()).casefold()


def _approval(row: Any) -> Approval:
    return Approval(
        row.id,
        row.issue_id,
        row.email_hash,
        row.approver,
        row.approved_at,
        row.manifest,
        row.text_part,
    )


def standing_approvals(engine: Engine, issue_id: str) -> list[Approval]:
    """The issue's approvals not withdrawn, oldest first."""
    with read_connection(engine) as connection:
        rows = connection.execute(
            select(approvals)
            .where(approvals.c.issue_id == issue_id, approvals.c.withdrawn_at.is_(None))
            .order_by(approvals.c.id)
        ).all()
    return [_approval(row) for row in rows]


def approve(
    engine: Engine,
    issue_id: str,
    email_hash: str,
    manifest: Mapping[str, str],
    by: str,
    now: datetime,
    *,
    who: str | None = None,
    text: str | None = None,
) -> Approval:
    """Record ``by``'s approval of this version (once: approving it again changes nothing).

    ``who`` is the audit log's actor (the OS user for the CLI; ``by`` when not given);
    ``text`` is the email's plain-text part, kept so that a later version can be diffed with it.
    """
    name = " ".join(by.split())
    if not name:
        raise ApprovalError("an approval needs the approver's name (--by NAME)")
    for existing in standing_approvals(engine, issue_id):
        if existing.email_hash == email_hash and _person(existing.by) == _person(name):
            return existing
    detail = f"{issue_id} version {short_hash(email_hash)} approved by {name}"
    with write_transaction(engine) as connection:
        connection.execute(
            insert(approvals).values(
                issue_id=issue_id,
                email_hash=email_hash,
                approver=name,
                manifest=dict(manifest),
                text_part=text,
                approved_at=now,
            )
        )
        record_action(connection, who=who or name, action=APPROVED, count=1, detail=detail, now=now)
    found = standing_approvals(engine, issue_id)
    return next(a for a in reversed(found) if a.email_hash == email_hash)


def withdraw(
    engine: Engine, issue_id: str, by: str, now: datetime, *, who: str | None = None
) -> int:
    """Withdraw ``by``'s standing approvals of the issue (every version); how many there were."""
    mine = [a for a in standing_approvals(engine, issue_id) if _person(a.by) == _person(by)]
    if not mine:
        raise ApprovalError(f"{issue_id}: {by} has no approval to withdraw")
    versions = ", ".join(sorted({short_hash(a.email_hash) for a in mine}))
    with write_transaction(engine) as connection:
        connection.execute(
            update(approvals)
            .where(approvals.c.id.in_([a.id for a in mine]), approvals.c.withdrawn_at.is_(None))
            .values(withdrawn_at=now, withdrawn_by=" ".join(by.split()))
        )
        record_action(
            connection,
            who=who or by,
            action=WITHDRAWN,
            count=len(mine),
            detail=f"{issue_id} version {versions} approval withdrawn by {by}",
            now=now,
        )
    return len(mine)


def approval_status(
    engine: Engine,
    email: Email,
    required: bool,
    approvers: int,
    manifest: Mapping[str, str] | None = None,
) -> ApprovalStatus:
    """Where the email as rendered now stands.

    ``manifest`` is what it was rendered from now (:func:`render_manifest`). With it, an
    approval counts only if its images are the same files too (an image's content is not in
    the HTML, only its URL), and ``changes`` compares it with the newest approval that no
    longer counts.
    """
    current = email_hash(email)
    found = standing_approvals(engine, email.issue_id)
    images = _images(manifest) if manifest is not None else None
    valid = tuple(
        a
        for a in found
        if a.email_hash == current and (images is None or _images(a.manifest) == images)
    )
    stale = [a for a in found if a not in valid]
    changes: tuple[str, ...] = ()
    if manifest is not None and stale:
        lines = manifest_changes(stale[-1].manifest, manifest)
        changes = tuple(lines or ["the rendered email changed (no field, template or image did)"])
    since = stale[-1] if stale else None
    return ApprovalStatus(
        email.issue_id, current, required, approvers, tuple(found), valid, changes, since
    )


def _images(manifest: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in manifest.items() if k.startswith(IMAGE)}


def require_approval(
    engine: Engine,
    email: Email,
    required: bool,
    approvers: int,
    manifest: Mapping[str, str] | None = None,
) -> ApprovalStatus:
    """The status when the email may be sent; else :class:`ApprovalError` with its message."""
    status = approval_status(engine, email, required, approvers, manifest)
    if not status.ok:
        raise ApprovalError(status.message)
    return status
