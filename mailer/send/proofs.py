"""Proofs: the email as supporters would get it, to a few given addresses, embargo or not.

A proof goes only to the addresses given (each checked by email-validator), through the
configured transport or the outbox. It creates no campaign and uses up nothing, so it works
whatever the issue's status and while an embargo holds. Its subject starts ``[PROOF]`` (while
an embargo holds, ``[PROOF – EMBARGOED until <local time>]``) and a banner at the top of both
parts names the version (the email's short hash) and, if embargoed, until when it must not be
shared. Every proof is recorded (:data:`mailer.send.tables.proofs`) and listed by
``newsletter proofs ISSUE``; each has its own ``ref``, which names its outbox files, so a second
proof never overwrites the first.

The staff console and the CLI call::

    send_proof(engine, project, email, transport, addresses, requested_by=..., now=...)
    list_proofs(engine, issue_id) -> list[ProofResult]
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select

from mailer.errors import ProofError
from mailer.render.email import Email, email_hash, short_hash, substitutions
from mailer.send.tables import proofs
from mailer.settings import Project
from mailer.transports.base import Outgoing, Transport
from mailer.transports.retry import RetryPolicy, send_with_retry
from subscribers.db import read_connection, write_transaction

DEFAULT_ZONE = "Europe/London"
MAX_ADDRESSES = 50
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def display_zone(project: Project) -> tzinfo:
    """The charity's time zone for showing times: the ``timezone`` setting, else London."""
    name = getattr(project.settings, "timezone", None) or DEFAULT_ZONE
    return name if isinstance(name, tzinfo) else ZoneInfo(str(name))


def local_time(when: datetime, zone: tzinfo) -> str:
    """``4 Dec 2026 09:00 GMT``: a time as the charity's staff read it."""
    local = when.astimezone(zone)
    return f"{local.day} {local:%b %Y %H:%M} {local.tzname() or ''}".rstrip()


@dataclass(frozen=True)
class ProofResult:
    """One proof: which version went to whom, when, at whose request."""

    id: int
    issue_id: str
    ref: str
    email_hash: str
    recipients: tuple[str, ...]
    requested_by: str
    transport: str
    embargo_until: datetime | None
    message_id: str | None
    at: datetime

    @property
    def version(self) -> str:
        return short_hash(self.email_hash)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "issue_id": self.issue_id,
            "ref": self.ref,
            "email_hash": self.email_hash,
            "version": self.version,
            "recipients": list(self.recipients),
            "requested_by": self.requested_by,
            "transport": self.transport,
            "embargo_until": self.embargo_until.isoformat() if self.embargo_until else None,
            "message_id": self.message_id,
            "at": self.at.isoformat(),
        }


def check_addresses(addresses: Sequence[str]) -> list[str]:
    """The addresses, normalised; ``ProofError`` naming the first that is not one."""
    from email_validator import EmailNotValidError, validate_email

    cleaned = [a.strip() for a in addresses if a.strip()]
    if not cleaned:
        raise ProofError("a proof needs at least one address")
    if len(cleaned) > MAX_ADDRESSES:
        raise ProofError(f"a proof goes to at most {MAX_ADDRESSES} addresses, not {len(cleaned)}")
    found = []
    for address in cleaned:
        try:
            found.append(validate_email(address, check_deliverability=False).normalized)
        except EmailNotValidError as exc:
            raise ProofError(f"proof address {address!r} is not an email address: {exc}") from None
    return list(dict.fromkeys(found))


def proof_email(email: Email, *, now: datetime, zone: tzinfo) -> Email:
    """``email`` marked as a proof of its version: subject prefix and a banner in both parts."""
    version = short_hash(email_hash(email))
    embargo = email.embargo_until if email.embargo_until and email.embargo_until > now else None
    if embargo is None:
        prefix = "[PROOF]"
        notice = f"PROOF of version {version}: not sent to supporters."
    else:
        until = local_time(embargo, zone)
        prefix = f"[PROOF \u2013 EMBARGOED until {until}]"
        notice = (
            f"PROOF of version {version}: not sent to supporters. EMBARGOED: do not share "
            f"or forward before {until}."
        )
    banner = (
        '<div style="background:#fff3cd;color:#1f1f1f;border:2px solid #8a6d00;'
        'padding:12px;font:bold 14px/1.4 Helvetica,Arial,sans-serif;text-align:center;" '
        f'role="note">{html.escape(notice)}</div>'
    )
    match = _BODY.search(email.html)
    at = match.end() if match else 0
    return replace(
        email,
        subject=f"{prefix} {email.subject}",
        html=email.html[:at] + banner + email.html[at:],
        text=f"*** {notice} ***\n\n{email.text}",
    )


def send_proof(
    engine: Engine,
    project: Project,
    email: Email,
    transport: Transport,
    addresses: Sequence[str],
    *,
    requested_by: str,
    now: datetime,
    sandbox: bool = False,
) -> ProofResult:
    """Send ``email`` as a proof to ``addresses`` only, and record it."""
    recipients = check_addresses(addresses)
    version = email_hash(email)
    marked = proof_email(email, now=now, zone=display_zone(project))
    ref = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    base_url = project.settings.base_url
    outgoing = [
        Outgoing(
            delivery_id=f"proof-{ref}-{n}",
            to_email=address,
            to_name=None,
            substitutions=substitutions(None, f"{base_url}/u/PROOF", f"{base_url}/p/PROOF"),
            unsubscribe_url=f"{base_url}/u/PROOF",
        )
        for n, address in enumerate(recipients, 1)
    ]
    message_id = None
    for start in range(0, len(outgoing), transport.max_batch):
        result = send_with_retry(
            transport,
            marked,
            outgoing[start : start + transport.max_batch],
            policy=RetryPolicy(max_attempts=3),
            sandbox=sandbox,
            custom_args={"issue_id": email.issue_id, "mode": "proof"},
        )
        message_id = message_id or result.message_id
    embargo = email.embargo_until if email.embargo_until and email.embargo_until > now else None
    with write_transaction(engine) as connection:
        connection.execute(
            insert(proofs).values(
                issue_id=email.issue_id,
                ref=ref,
                email_hash=version,
                recipients=recipients,
                requested_by=requested_by,
                transport=transport.name,
                embargo_until=embargo,
                message_id=message_id,
                at=now,
            )
        )
        row = connection.execute(select(proofs).where(proofs.c.ref == ref)).one()
    return _proof(row)


def list_proofs(engine: Engine, issue_id: str) -> list[ProofResult]:
    """Every proof of an issue, oldest first."""
    with read_connection(engine) as connection:
        rows = connection.execute(
            select(proofs).where(proofs.c.issue_id == issue_id).order_by(proofs.c.id)
        ).all()
    return [_proof(row) for row in rows]


def _proof(row: Any) -> ProofResult:
    return ProofResult(
        row.id,
        row.issue_id,
        row.ref,
        row.email_hash,
        tuple(row.recipients),
        row.requested_by,
        row.transport,
        row.embargo_until,
        row.message_id,
        row.at,
    )
