"""Transports: how a batch of one rendered email leaves this machine.

:func:`transport_from_env` picks one by ``NEWSLETTER_TRANSPORT``:

============  ====================================================================
``sendgrid``  SendGrid v3 ``mail/send``: ``SENDGRID_API_KEY`` (required),
              ``SENDGRID_API_HOST``, ``SENDGRID_TIMEOUT``,
              ``NEWSLETTER_CLICK_TRACKING``, ``NEWSLETTER_ASM_GROUP``
``smtp``      ``NEWSLETTER_SMTP_URL`` = ``smtp://user:pass@host:port?starttls=1``
``outbox``    ``.eml`` files under ``NEWSLETTER_OUTBOX_DIR`` (default ``<project>/outbox``)
============  ====================================================================

With nothing set, an interactive run gets the outbox (the caller says so on screen) and a
non-interactive one fails: a scheduled job that lost its environment must stop loudly.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mailer.errors import TransportConfigError
from mailer.settings import Project
from mailer.transports.base import BatchResult, Outgoing, Transport
from mailer.transports.errors import (
    AuthFailed,
    MaybeAccepted,
    NotAccepted,
    Rejected,
    RetryBudgetExhausted,
)

__all__ = [
    "TRANSPORT_NAMES",
    "AuthFailed",
    "BatchResult",
    "MaybeAccepted",
    "NotAccepted",
    "Outgoing",
    "Rejected",
    "RetryBudgetExhausted",
    "Transport",
    "transport_from_env",
]

TRANSPORT_NAMES = ("sendgrid", "smtp", "outbox")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise TransportConfigError(f"{name} must be on or off, not {value!r}")


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise TransportConfigError(f"{name} must be a number of seconds, not {value!r}") from None
    if number <= 0:
        raise TransportConfigError(f"{name} must be positive")
    return number


def transport_from_env(
    environ: Mapping[str, str], project: Project, *, interactive: bool
) -> Transport:
    """The transport the environment asks for; see the module docstring."""
    choice = environ.get("NEWSLETTER_TRANSPORT", "").strip().lower()
    mailto = project.settings.sender.unsubscribe_mailto
    if not choice:
        if not interactive:
            raise TransportConfigError(
                "no transport configured: set NEWSLETTER_TRANSPORT to sendgrid, smtp or "
                "outbox (scheduled runs never fall back to the outbox)"
            )
        choice = "outbox"
    if choice == "outbox":
        from mailer.transports.outbox import OutboxTransport

        directory = environ.get("NEWSLETTER_OUTBOX_DIR") or str(project.root / "outbox")
        return OutboxTransport(Path(directory), unsubscribe_mailto=mailto)
    if choice == "sendgrid":
        from mailer.transports.sendgrid import DEFAULT_HOST, SendGridConfig, SendGridTransport

        key = environ.get("SENDGRID_API_KEY", "").strip()
        if not key:
            raise TransportConfigError("NEWSLETTER_TRANSPORT=sendgrid needs SENDGRID_API_KEY")
        group = environ.get("NEWSLETTER_ASM_GROUP", "").strip()
        if group and not group.isdigit():
            raise TransportConfigError("NEWSLETTER_ASM_GROUP must be a SendGrid group number")
        host = environ.get("SENDGRID_API_HOST", "").strip() or DEFAULT_HOST
        if not host.startswith(("https://", "http://")):
            raise TransportConfigError("SENDGRID_API_HOST must be an http(s):// URL")
        config = SendGridConfig(
            api_key=key,
            host=host,
            timeout=_number(environ, "SENDGRID_TIMEOUT", 30.0),
            click_tracking=_flag(environ, "NEWSLETTER_CLICK_TRACKING"),
            asm_group=int(group) if group else None,
            unsubscribe_mailto=mailto,
        )
        return SendGridTransport(config)
    if choice == "smtp":
        from dataclasses import replace

        from mailer.transports.smtp import SmtpTransport, parse_smtp_url

        url = environ.get("NEWSLETTER_SMTP_URL", "").strip()
        if not url:
            raise TransportConfigError("NEWSLETTER_TRANSPORT=smtp needs NEWSLETTER_SMTP_URL")
        config_smtp = parse_smtp_url(url, timeout=_number(environ, "NEWSLETTER_SMTP_TIMEOUT", 30))
        return SmtpTransport(replace(config_smtp, unsubscribe_mailto=mailto))
    raise TransportConfigError(
        f"NEWSLETTER_TRANSPORT={choice!r} is not one of {', '.join(TRANSPORT_NAMES)}"
    )
