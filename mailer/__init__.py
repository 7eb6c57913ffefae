"""Research-news newsletter publisher: YAML issues → responsive email → SendGrid.

The flow runs one way (see ``docs/internals.md``), each stage taking the last one's frozen
value::

    load_project(root) -> Project
    load_issue(path, project) -> Issue -> render_issue(issue, project) -> Email
    prepare_email(project, path, now=...) -> Email          (check + render, refuses on errors)
    send_issue(engine, email, transport, links) -> SendReport
    send_due(project, engine, transport, links) -> DueRun   (the cron entry point)
    record_events(engine, events) -> RecordSummary
    campaign_report(engine, campaign) -> CampaignReport

This module is the façade: what a script or the web app calls is importable from ``mailer``
and listed in ``__all__``. Names load on first use (PEP 562), so ``import mailer`` — which
every ``import mailer.x`` runs — costs nothing, and ``newsletter check``/``build`` never
import SQLAlchemy, sendgrid, rich or Starlette.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mailer.clock import Clock, utc_now
    from mailer.config import Config, Secret
    from mailer.content.issue import Issue, find_issue, issue_paths, load_issue
    from mailer.errors import (
        ApprovalError,
        CampaignError,
        ContentError,
        EmbargoError,
        MailerError,
        Problem,
        ProofError,
        RenderError,
        SendError,
        SettingsError,
        TransportConfigError,
        WebhookError,
    )
    from mailer.events.report import CampaignReport, campaign_report
    from mailer.events.store import DatabaseRecorder, RecordSummary, record_events
    from mailer.events.webhook import Event, parse_events, verify_signature
    from mailer.render.check import CheckReport, check_paths
    from mailer.render.email import Email, email_hash
    from mailer.render.manifest import render_manifest
    from mailer.render.view import render_issue
    from mailer.send.approvals import (
        Approval,
        ApprovalStatus,
        approval_status,
        approve,
        withdraw,
    )
    from mailer.send.campaigns import Campaign, get_campaign, list_campaigns
    from mailer.send.plans import DueDecision, checked_email, dry_run, plan_due, prepare_email
    from mailer.send.proofs import ProofResult, display_zone, list_proofs, send_proof
    from mailer.send.runs import (
        DueRun,
        Outcome,
        SendObserver,
        outcome_of,
        run_campaign,
        send_due,
        send_issue,
    )
    from mailer.send.sender import (
        RecipientLinks,
        SendOptions,
        SendReport,
        StoppedSending,
        send_campaign,
    )
    from mailer.settings import Project, Settings, load_project
    from mailer.transports import Transport, transport_from_config
    from mailer.web import create_app, create_preview_app

#: module -> the names the façade takes from it
_EXPORTS: dict[str, tuple[str, ...]] = {
    "mailer.clock": ("Clock", "utc_now"),
    "mailer.config": ("Config", "Secret"),
    "mailer.content.issue": ("Issue", "find_issue", "issue_paths", "load_issue"),
    "mailer.errors": (
        "ApprovalError",
        "CampaignError",
        "ContentError",
        "EmbargoError",
        "MailerError",
        "Problem",
        "ProofError",
        "RenderError",
        "SendError",
        "SettingsError",
        "TransportConfigError",
        "WebhookError",
    ),
    "mailer.events.report": ("CampaignReport", "campaign_report"),
    "mailer.events.store": ("DatabaseRecorder", "RecordSummary", "record_events"),
    "mailer.events.webhook": ("Event", "parse_events", "verify_signature"),
    "mailer.render.check": ("CheckReport", "check_paths"),
    "mailer.render.email": ("Email", "email_hash"),
    "mailer.render.manifest": ("render_manifest",),
    "mailer.render.view": ("render_issue",),
    "mailer.send.approvals": (
        "Approval",
        "ApprovalStatus",
        "approval_status",
        "approve",
        "withdraw",
    ),
    "mailer.send.campaigns": ("Campaign", "get_campaign", "list_campaigns"),
    "mailer.send.plans": ("DueDecision", "checked_email", "dry_run", "plan_due", "prepare_email"),
    "mailer.send.proofs": ("ProofResult", "display_zone", "list_proofs", "send_proof"),
    "mailer.send.runs": (
        "DueRun",
        "Outcome",
        "SendObserver",
        "outcome_of",
        "run_campaign",
        "send_due",
        "send_issue",
    ),
    "mailer.send.sender": (
        "RecipientLinks",
        "SendOptions",
        "SendReport",
        "StoppedSending",
        "send_campaign",
    ),
    "mailer.settings": ("Project", "Settings", "load_project"),
    "mailer.transports": ("Transport", "transport_from_config"),
    "mailer.web": ("create_app", "create_preview_app"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "Approval",
    "ApprovalError",
    "ApprovalStatus",
    "Campaign",
    "CampaignError",
    "CampaignReport",
    "CheckReport",
    "Clock",
    "Config",
    "ContentError",
    "DatabaseRecorder",
    "DueDecision",
    "DueRun",
    "Email",
    "EmbargoError",
    "Event",
    "Issue",
    "MailerError",
    "Outcome",
    "Problem",
    "Project",
    "ProofError",
    "ProofResult",
    "RecipientLinks",
    "RecordSummary",
    "RenderError",
    "Secret",
    "SendError",
    "SendObserver",
    "SendOptions",
    "SendReport",
    "Settings",
    "SettingsError",
    "StoppedSending",
    "Transport",
    "TransportConfigError",
    "WebhookError",
    "approval_status",
    "approve",
    "campaign_report",
    "check_paths",
    "checked_email",
    "create_app",
    "create_preview_app",
    "display_zone",
    "dry_run",
    "email_hash",
    "find_issue",
    "get_campaign",
    "issue_paths",
    "list_campaigns",
    "list_proofs",
    "load_issue",
    "load_project",
    "outcome_of",
    "parse_events",
    "plan_due",
    "prepare_email",
    "record_events",
    "render_issue",
    "render_manifest",
    "run_campaign",
    "send_campaign",
    "send_due",
    "send_issue",
    "send_proof",
    "transport_from_config",
    "utc_now",
    "verify_signature",
    "withdraw",
]


def __getattr__(name: str) -> object:
    """Import a façade name's module on first use, and keep the name here."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The façade's names (loaded or not) beside the module's own."""
    return sorted({*globals(), *__all__})
