"""Errors raised by the ``mailer`` package.

The whole tree::

    MailerError                 base of everything this package raises on purpose
    ├── SettingsError           newsletter.yaml missing or invalid
    ├── ContentError            an issue file is invalid; carries every Problem found
    ├── RenderError             a template or the MJML compiler failed (names file and line)
    ├── SendError               sending could not start or had to stop
    │   ├── TransportConfigError    no/ambiguous transport, missing API key, …
    │   ├── EmbargoError            an embargoed story is not yet publishable
    │   ├── CampaignError           ledger state forbids the operation
    │   ├── ApprovalError           approval required and the email as rendered now lacks it
    │   └── ProofError              a proof cannot go out (e.g. a bad address)
    └── WebhookError            a SendGrid event webhook request was refused
        ├── BadSignature            signature missing, malformed or not valid for the body
        ├── StaleTimestamp          signed timestamp outside the replay window
        ├── MalformedPayload        body is not a JSON list of event objects
        └── WebhookConfigError      the verification public key is missing or invalid

The CLI turns each into one line and a non-zero exit; the web app maps them to status codes
in one place. Nothing here is an HTTP error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file, located as precisely as we can."""

    path: str
    line: int
    column: int
    field: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        tag = "" if self.severity == "error" else "warning: "
        field = f"{self.field}: " if self.field else ""
        return f"{where}: {tag}{field}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "message": self.message,
            "severity": self.severity,
        }


class MailerError(Exception):
    """Base class for errors the user can act on."""


class SettingsError(MailerError):
    """newsletter.yaml is missing or invalid."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class ContentError(MailerError):
    """An issue file failed validation; ``problems`` lists every error found."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        first = problems[0] if problems else None
        super().__init__(str(first) if first else "invalid issue")


class RenderError(MailerError):
    """A template or the MJML compiler failed."""


class SendError(MailerError):
    """Sending could not start or had to stop."""


class TransportConfigError(SendError):
    """The transport is missing, unknown or lacks its credentials."""


class EmbargoError(SendError):
    """An issue contains a story whose embargo has not lifted."""


class CampaignError(SendError):
    """The campaign ledger forbids this operation."""


class ApprovalError(SendError):
    """Approval is required and the email, as it renders now, has not enough of it."""


class ProofError(SendError):
    """A proof cannot be sent: no address, or an address that is not one."""


class WebhookError(MailerError):
    """A SendGrid event webhook request was refused."""


class BadSignature(WebhookError):
    """The signature is missing, malformed or does not match the timestamp and body."""


class StaleTimestamp(WebhookError):
    """The signed timestamp lies outside the replay window."""


class MalformedPayload(WebhookError):
    """The body is not a JSON list of event objects."""


class WebhookConfigError(WebhookError):
    """The webhook verification public key is missing or invalid."""
