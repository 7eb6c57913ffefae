"""The plans a ``send`` runs: check → render → campaign, the due plan, test and dry runs.

Each takes the stages' frozen values and hands them on (``mailer.send.runs`` sends what they
open). A bad issue sends nothing: ``prepare_email`` runs the full ``check`` first and refuses
on any error or an embargo that has not lifted.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from mailer.content.ids import duplicate_ids, issue_id
from mailer.content.issue import Issue, issue_paths, parse_issue
from mailer.errors import CampaignError, ContentError, EmbargoError, Problem
from mailer.render.check import check_paths
from mailer.render.email import (
    DEFAULT_FIRST_NAME,
    FIRST_NAME_HTML,
    FIRST_NAME_TEXT,
    PREFERENCES_URL,
    UNSUBSCRIBE_URL,
    Email,
)
from mailer.render.manifest import render_manifest
from mailer.send.approvals import require_approval
from mailer.send.campaigns import (
    Campaign,
    audience_bases,
    campaigns_to_resume,
    get_campaign,
    record_test_send,
    set_status,
    start_campaign,
)
from mailer.send.links import Recipient, RecipientLinks, campaign_custom_args
from mailer.send.states import CampaignState
from mailer.settings import Project
from mailer.transports.base import Outgoing, Transport
from mailer.transports.retry import RetryPolicy, send_with_retry
from subscribers.audience import count_audience, iter_audience


def checked_email(
    project: Project, path: Path, *, now: datetime, list_id: str | None = None
) -> tuple[Issue, Email]:
    """Check and render one issue; refuse on any error (an embargo is the caller's business)."""
    report = check_paths([path], project, now=now)
    errors = tuple(p for p in report.problems if p.severity == "error")
    if errors:
        raise ContentError(errors)
    file_report = report.files[0]
    if file_report.email is None or file_report.issue is None:  # an error says why, above
        raise ContentError(file_report.problems)
    email = file_report.email
    if list_id is not None:
        chosen = project.settings.list_named(list_id)
        email = replace(email, list_id=list_id, consent_only=chosen.consent_only)
    return file_report.issue, email


def prepare_email(
    project: Project,
    path: Path,
    *,
    now: datetime,
    list_id: str | None = None,
    engine: Engine | None = None,
) -> Email:
    """Check and render one issue; refuse on any error or an embargo still in force.

    With ``engine``, and ``approval.required`` in the settings, also refuse (``ApprovalError``)
    an issue whose campaign has not started and whose email as rendered now lacks enough
    approvals; a started campaign sends its frozen email and needs nothing more.
    """
    issue, email = checked_email(project, path, now=now, list_id=list_id)
    if email.embargo_until is not None and email.embargo_until > now:
        raise EmbargoError(
            f"{issue.source or path}: a story is embargoed until "
            f"{email.embargo_until.isoformat()}; nothing was sent"
        )
    rule = project.settings.approval
    if engine is not None and rule.required and get_campaign(engine, email.issue_id) is None:
        require_approval(
            engine, email, rule.required, rule.approvers, render_manifest(issue, project)
        )
    return email


def open_campaign(
    engine: Engine, email: Email, transport: Transport, *, now: datetime, resume_paused: bool
) -> Campaign:
    """The issue's campaign (created on first send). Its frozen email is what sends.

    A campaign is never started for an empty audience: it would use up the issue id (one
    campaign per id, ever) while sending to nobody, e.g. when a scheduled run comes before
    the subscribers were imported.
    """
    if get_campaign(engine, email.issue_id) is None and not count_audience(
        engine, email.list_id, email.interests or None, bases=audience_bases(email)
    ):
        raise CampaignError(
            f"the audience of {email.issue_id} (list {email.list_id}"
            + (f", interests {', '.join(email.interests)}" if email.interests else "")
            + ") is empty: nothing was sent and the campaign was not started"
        )
    campaign = start_campaign(engine, email, transport=transport.name, now=now)
    if campaign.list_id != email.list_id:
        raise CampaignError(
            f"campaign {campaign.issue_id} already goes to list {campaign.list_id!r}"
        )
    if campaign.status == CampaignState.PAUSED and (resume_paused and campaign.auto_resume):
        set_status(
            engine, campaign.id, CampaignState.SENDING, now=now, only_from=(CampaignState.PAUSED,)
        )
        fresh = get_campaign(engine, campaign.id)
        assert fresh is not None
        return fresh
    return campaign


# --- scheduled runs ------------------------------------------------------------------------


@dataclass(frozen=True)
class DueDecision:
    path: str
    issue_id: str | None
    action: str  # "send", "skip", "error"
    reason: str
    problems: tuple[Problem, ...] = ()


def plan_due(project: Project, engine: Engine, *, now: datetime) -> list[DueDecision]:
    """What ``send --due`` does with each issue file, and why."""
    decisions = []
    files = [parse_issue(path, project) for path in issue_paths(project)]
    duplicates = duplicate_ids(files)
    for parsed in files:
        issue = parsed.issue
        if parsed.path in duplicates:
            problem = duplicates[parsed.path]
            decisions.append(
                DueDecision(parsed.path, issue_id(parsed), "error", problem.message, (problem,))
            )
            continue
        if issue is None:
            decisions.append(
                DueDecision(parsed.path, None, "error", "invalid issue file", parsed.problems)
            )
            continue
        campaign = get_campaign(engine, issue.id)
        if campaign is not None and campaign.finished:
            decisions.append(
                DueDecision(parsed.path, issue.id, "skip", f"already {campaign.status}")
            )
        elif campaign is not None and campaign.status in (CampaignState.SENDING,):
            decisions.append(DueDecision(parsed.path, issue.id, "send", "resuming"))
        elif (
            campaign is not None
            and campaign.status == CampaignState.PAUSED
            and not campaign.auto_resume
        ):
            decisions.append(
                DueDecision(
                    parsed.path,
                    issue.id,
                    "skip",
                    f"paused by a person ({campaign.status_reason or 'no reason given'})",
                )
            )
        elif issue.status != "ready":
            decisions.append(DueDecision(parsed.path, issue.id, "skip", "status is draft"))
        elif issue.send_at is None:
            decisions.append(DueDecision(parsed.path, issue.id, "skip", "no send_at"))
        elif issue.send_at > now:
            decisions.append(
                DueDecision(parsed.path, issue.id, "skip", f"due at {issue.send_at.isoformat()}")
            )
        elif issue.embargo_until is not None and issue.embargo_until > now:
            decisions.append(
                DueDecision(
                    parsed.path,
                    issue.id,
                    "skip",
                    f"embargoed until {issue.embargo_until.isoformat()}",
                )
            )
        else:
            decisions.append(
                DueDecision(parsed.path, issue.id, "send", "resuming" if campaign else "due")
            )
    return decisions


def orphan_resumes(engine: Engine, decisions: Sequence[DueDecision]) -> list[Campaign]:
    """Interrupted campaigns whose issue file is gone: resumed from their frozen email."""
    planned = {d.issue_id for d in decisions if d.issue_id}
    return [c for c in campaigns_to_resume(engine) if c.issue_id not in planned]


# --- test, sandbox and dry runs --------------------------------------------------------------


def sandbox_send(
    engine: Engine, email: Email, transport: Transport, links: RecipientLinks, *, now: datetime
) -> dict[str, Any]:
    """The whole audience through SendGrid's sandbox mode: validated, delivered to no one."""
    size = transport.max_batch
    requests = recipients = 0
    chunk: list[Recipient] = []

    def flush() -> None:
        nonlocal requests, recipients
        outgoing = links.outgoing(email, 0, chunk, now)
        send_with_retry(
            transport,
            email,
            outgoing,
            policy=RetryPolicy(max_attempts=3),
            sandbox=True,
            custom_args={"issue_id": email.issue_id, "mode": "sandbox"},
        )
        requests += 1
        recipients += len(chunk)
        chunk.clear()

    for r in iter_audience(
        engine, email.list_id, email.interests or None, bases=audience_bases(email)
    ):
        chunk.append(Recipient(r.id, r.id, r.public_id, r.email, r.first_name))
        if len(chunk) >= size:
            flush()
    if chunk:
        flush()
    detail = {"requests": requests}
    record_test_send(
        engine,
        email.issue_id,
        mode="sandbox",
        transport=transport.name,
        recipients=recipients,
        detail=detail,
        now=now,
    )
    return {"recipients": recipients, "requests": requests}


def dry_run(
    engine: Engine, email: Email, transport: Transport, links: RecipientLinks, *, now: datetime
) -> dict[str, Any]:
    """The plan, without sending: recipients, batches and a redacted sample payload."""
    bases = audience_bases(email)
    total = count_audience(engine, email.list_id, email.interests or None, bases=bases)
    size = transport.max_batch
    first_two = itertools.islice(
        iter_audience(engine, email.list_id, email.interests or None, bases=bases, page_size=2),
        2,
    )
    sample = [Recipient(r.id, r.id, r.public_id, r.email, r.first_name) for r in first_two]
    payload: Any = None
    if sample:
        outgoing = links.outgoing(email, 0, sample, now)
        existing = get_campaign(engine, email.issue_id)
        campaign_id = existing.id if existing else "(assigned when the send starts)"
        custom_args = campaign_custom_args(campaign_id, email.issue_id, email.list_id)
        payload = _redacted_payload(email, transport, outgoing, custom_args)
    return {
        "issue_id": email.issue_id,
        "subject": email.subject,
        "list": email.list_id,
        "interests": list(email.interests),
        "transport": transport.name,
        "target": transport.target,
        "recipients": total,
        "batch_size": size,
        "batches": -(-total // size) if total else 0,
        "html_bytes": email.html_bytes,
        "sample_payload": payload,
    }


def _redact(item: Outgoing) -> Outgoing:
    """No address, name or token of a real person in what a dry run prints."""
    values = dict(item.substitutions)
    for tag in (FIRST_NAME_HTML, FIRST_NAME_TEXT):
        if values.get(tag) not in (None, DEFAULT_FIRST_NAME):
            values[tag] = "Redacted"
    for tag in (UNSUBSCRIBE_URL, PREFERENCES_URL):
        if tag in values:
            values[tag] = values[tag].rsplit("/", 1)[0] + "/REDACTED"
    return replace(
        item,
        to_email="redacted@example.invalid",
        to_name="Redacted" if item.to_name else None,
        substitutions=values,
        unsubscribe_url=item.unsubscribe_url.rsplit("/", 1)[0] + "/REDACTED",
    )


def _redacted_payload(
    email: Email, transport: Transport, outgoing: list[Outgoing], custom_args: Mapping[str, str]
) -> Any:
    body = transport.describe_batch(email, [_redact(o) for o in outgoing], custom_args)
    data = json.loads(json.dumps(body))
    for part in data.get("content", []):
        part["value"] = part["value"][:200] + "…"
    return data
