"""Transports: how a batch of one rendered email leaves this machine.

:func:`transport_from_config` picks one by ``NEWSLETTER_TRANSPORT``, from the typed
:class:`~mailer.config.Config` (``mailer.config`` reads the environment):

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

from mailer.config import SENDGRID_API_KEY, SMTP_URL, TRANSPORT, TRANSPORT_NAMES, Config
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
    "transport_from_config",
    "transport_from_env",
]


def transport_from_env(
    environ: Mapping[str, str], project: Project, *, interactive: bool
) -> Transport:
    """The transport ``environ`` asks for: :func:`transport_from_config` of its ``Config``."""
    return transport_from_config(Config.from_environ(environ), project, interactive=interactive)


def transport_from_config(config: Config, project: Project, *, interactive: bool) -> Transport:
    """The transport the configuration asks for; see the module docstring."""
    choice = config.transport
    mailto = project.settings.sender.unsubscribe_mailto
    if not choice:
        if not interactive:
            raise TransportConfigError(
                f"no transport configured: set {TRANSPORT} to sendgrid, smtp or "
                "outbox (scheduled runs never fall back to the outbox)"
            )
        choice = "outbox"
    if choice == "sendgrid":
        from mailer.transports.sendgrid import DEFAULT_HOST, SendGridConfig, SendGridTransport

        if not config.sendgrid_api_key:
            raise TransportConfigError(f"{TRANSPORT}=sendgrid needs {SENDGRID_API_KEY}")
        settings = SendGridConfig(
            api_key=config.sendgrid_api_key.reveal(),
            host=config.sendgrid_api_host or DEFAULT_HOST,
            timeout=config.sendgrid_timeout,
            click_tracking=config.click_tracking,
            asm_group=config.asm_group,
            unsubscribe_mailto=mailto,
        )
        return SendGridTransport(settings)
    if choice == "smtp":
        from dataclasses import replace

        from mailer.transports.smtp import SmtpTransport, parse_smtp_url

        if not config.smtp_url:
            raise TransportConfigError(f"{TRANSPORT}=smtp needs {SMTP_URL}")
        smtp = parse_smtp_url(config.smtp_url.reveal(), timeout=config.smtp_timeout)
        return SmtpTransport(replace(smtp, unsubscribe_mailto=mailto))
    from mailer.transports.outbox import OutboxTransport

    directory = config.outbox_dir or project.root / "outbox"
    return OutboxTransport(directory, unsubscribe_mailto=mailto)
