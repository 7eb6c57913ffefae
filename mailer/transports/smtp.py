"""The SMTP transport (standard library), for staging against any SMTP server.

One connection per batch, one message per recipient. A failure before the first message is
accepted is :class:`NotAccepted` (temporary) or :class:`Rejected` (permanent); a failure after
some were accepted makes the batch :class:`MaybeAccepted`, because SMTP cannot say which.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formataddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from mailer.errors import TransportConfigError
from mailer.render.email import Email
from mailer.render.mime import build_message
from mailer.transports.base import (
    BatchResult,
    Outgoing,
    check_batch_size,
    describe_messages,
)
from mailer.transports.errors import AuthFailed, MaybeAccepted, NotAccepted, Rejected

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    implicit_tls: bool = False
    timeout: float = 30.0
    unsubscribe_mailto: str | None = None


def parse_smtp_url(url: str, *, timeout: float = 30.0) -> SmtpConfig:
    """``smtp://user:pass@host:port?starttls=1`` or ``smtps://…`` as an :class:`SmtpConfig`."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise TransportConfigError(
            "NEWSLETTER_SMTP_URL must look like smtp://user:password@host:port?starttls=1"
        )
    query = parse_qs(parts.query)
    implicit = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if implicit else 25)
    except ValueError:
        raise TransportConfigError("NEWSLETTER_SMTP_URL has an invalid port") from None
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=query.get("starttls", ["0"])[0].lower() in _TRUE,
        implicit_tls=implicit,
        timeout=timeout,
    )


class SmtpTransport:
    """Sends each recipient's personalised message over one SMTP connection per batch."""

    name = "smtp"
    max_concurrency = 1  # one connection at a time: staging servers throttle more
    supports_sandbox = False

    def __init__(self, config: SmtpConfig, *, max_batch: int = 100) -> None:
        self.config = config
        self.max_batch = max_batch
        self.target = f"{config.host}:{config.port}"

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        try:
            client: smtplib.SMTP
            if cfg.implicit_tls:
                context = ssl.create_default_context()
                client = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
            else:
                client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise NotAccepted(f"could not connect to SMTP server {self.target}: {exc}") from None
        try:
            if cfg.starttls:
                client.starttls(context=ssl.create_default_context())
            if cfg.username:
                client.login(cfg.username, cfg.password or "")
        except smtplib.SMTPAuthenticationError:
            client.close()
            raise AuthFailed(
                f"SMTP server {self.target} refused the login in NEWSLETTER_SMTP_URL"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            client.close()
            raise NotAccepted(f"SMTP set-up with {self.target} failed: {exc}") from None
        return client

    def describe_batch(
        self, email: Email, batch: Sequence[Outgoing], custom_args: Mapping[str, str] = {}
    ) -> dict[str, Any]:
        """One message per recipient, as :func:`mailer.render.mime.build_message` makes it."""
        return describe_messages(batch, custom_args)

    def send_batch(
        self,
        email: Email,
        batch: Sequence[Outgoing],
        *,
        test: bool = False,
        sandbox: bool = False,
        custom_args: Mapping[str, str] = {},
    ) -> BatchResult:
        check_batch_size(self.name, batch, self.max_batch)
        messages = [
            build_message(
                email,
                formataddr((item.to_name or "", item.to_email)),
                item.substitutions,
                test=test,
                unsubscribe_mailto=self.config.unsubscribe_mailto,
            )
            for item in batch
        ]
        if sandbox:
            return BatchResult(message_id=None, accepted=len(batch))
        client = self._connect()
        sent = 0
        try:
            for item, message in zip(batch, messages, strict=True):
                client.send_message(message, from_addr=email.from_email, to_addrs=[item.to_email])
                sent += 1
        except smtplib.SMTPResponseException as exc:
            self._raise_for(sent, f"SMTP {exc.smtp_code}", exc.smtp_code)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            self._raise_for(sent, "recipient refused", max(codes, default=550))
        except (OSError, smtplib.SMTPException) as exc:
            # The connection broke mid-conversation: the current message may have landed.
            raise MaybeAccepted(
                f"SMTP connection to {self.target} failed ({type(exc).__name__}) after "
                f"{sent} message(s) of the batch were accepted; the next one may have been too"
            ) from None
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
        return BatchResult(message_id=None, accepted=sent)

    def _raise_for(self, sent: int, what: str, code: int | None) -> None:
        if sent:
            raise MaybeAccepted(
                f"SMTP failed ({what}) after {sent} message(s) of the batch were accepted"
            )
        if code is not None and 500 <= code < 600:
            raise Rejected(f"SMTP server {self.target} rejected the message ({what})")
        raise NotAccepted(f"SMTP server {self.target} did not accept the message ({what})")

    def close(self) -> None:
        """Nothing kept open between batches."""
