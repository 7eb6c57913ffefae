"""Transactional emails the supporter pages send: confirm, welcome, "your link".

Each is a small plain Jinja template pair (``templates/web/email_<kind>.txt.j2`` and
``.html.j2``) rendered with the real values for one person, wrapped in the same frozen
:class:`~mailer.render.email.Email` value a campaign uses, and handed to the configured transport
as a one-recipient batch (the outbox unless ``NEWSLETTER_TRANSPORT`` says otherwise). The
email's ``issue_id`` is ``notice-<kind>``, so the outbox files them under
``outbox/notice-<kind>/``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from mailer.render.email import Email, substitutions
from mailer.settings import Project
from mailer.transports import Outgoing, Transport
from mailer.web.pages import Pages

NoticeKind = Literal["confirm", "welcome", "link"]

SUBJECTS: dict[NoticeKind, str] = {
    "confirm": "Please confirm your email address",
    "welcome": "Welcome to research news from {org}",
    "link": "Your link to manage emails from {org}",
}


@dataclass(frozen=True, slots=True)
class Notice:
    """One transactional email for one person."""

    kind: NoticeKind
    to_email: str
    first_name: str | None
    list_id: str
    unsubscribe_url: str
    preferences_url: str
    action_url: str | None = None  # the confirmation link, for "confirm"
    list_names: tuple[str, ...] = ()


class Notices:
    """Renders notices and sends each through a fresh transport from ``transport_factory``."""

    def __init__(
        self, pages: Pages, project: Project, transport_factory: Callable[[], Transport]
    ) -> None:
        self.pages = pages
        self.project = project
        self.transport_factory = transport_factory

    def compose(self, notice: Notice) -> tuple[Email, Outgoing]:
        settings = self.project.settings
        context: Mapping[str, object] = {
            "first_name": (notice.first_name or "").strip() or "friend",
            "action_url": notice.action_url,
            "preferences_url": notice.preferences_url,
            "unsubscribe_url": notice.unsubscribe_url,
            "list_names": notice.list_names,
            "kind": notice.kind,
        }
        subject = SUBJECTS[notice.kind].format(org=settings.organisation.name)
        email = Email(
            issue_id=f"notice-{notice.kind}",
            subject=subject,
            preheader="",
            html=self.pages.render_text(
                f"email_{notice.kind}.html.j2", {**context, "subject": subject}
            ),
            text=self.pages.render_text(f"email_{notice.kind}.txt.j2", context),
            mjml="",
            from_email=str(settings.sender.from_email),
            from_name=settings.sender.from_name,
            reply_to=str(settings.sender.reply_to) if settings.sender.reply_to else None,
            list_id=notice.list_id,
            interests=(),
            send_at=None,
            embargo_until=None,
            view_url=settings.base_url,
            language=settings.language,
        )
        outgoing = Outgoing(
            delivery_id=f"{notice.kind}-{secrets.token_hex(8)}",
            to_email=notice.to_email,
            to_name=notice.first_name,
            substitutions=substitutions(
                notice.first_name, notice.unsubscribe_url, notice.preferences_url
            ),
            unsubscribe_url=notice.unsubscribe_url,
        )
        return email, outgoing

    def send(self, notice: Notice) -> None:
        """Send one notice; transport errors propagate (the caller logs them)."""
        email, outgoing = self.compose(notice)
        transport = self.transport_factory()
        try:
            transport.send_batch(email, [outgoing])
        finally:
            transport.close()
