"""The rendered email: the frozen value handed from rendering to sending.

An issue is rendered once. Per-recipient values are SendGrid substitution tags, filled in per
recipient by plain string replacement (SendGrid's ``personalizations[].substitutions``, or
:func:`personalise` for the outbox, SMTP and previews). The tag format is ``%%name%%``:

=========================  ==================================================================
tag                        value for one recipient
=========================  ==================================================================
``%%first_name_html%%``    first name, HTML-escaped (or the fallback), for the HTML part
``%%first_name_text%%``    first name as typed (or the fallback), for the plain-text part
``%%unsubscribe_url%%``    ``{base_url}/u/{token}``: one-click unsubscribe for this list
``%%preferences_url%%``    ``{base_url}/p/{token}``: the preference centre
=========================  ==================================================================

SendGrid substitutes one value into both parts, so anything a person typed (the first name)
has a separate escaped tag for HTML and a raw tag for text. Token URLs are URL-safe ASCII and
identical in both parts. Content never contains ``%%`` (the renderer breaks it up), so text
from an issue file can never form a tag.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

FIRST_NAME_HTML = "%%first_name_html%%"
FIRST_NAME_TEXT = "%%first_name_text%%"
UNSUBSCRIBE_URL = "%%unsubscribe_url%%"
PREFERENCES_URL = "%%preferences_url%%"
ALL_TAGS = (FIRST_NAME_HTML, FIRST_NAME_TEXT, UNSUBSCRIBE_URL, PREFERENCES_URL)

DEFAULT_FIRST_NAME = "friend"
SHORT_HASH = 12  # characters of the email hash shown to people


@dataclass(frozen=True, slots=True)
class Email:
    """One issue, rendered once, ready to personalise and send."""

    issue_id: str
    subject: str
    preheader: str
    html: str
    text: str
    mjml: str
    from_email: str
    from_name: str
    reply_to: str | None
    list_id: str
    interests: tuple[str, ...]
    send_at: datetime | None
    embargo_until: datetime | None
    view_url: str
    language: str = "en-GB"
    list_name: str = ""  # the list's name in the settings, for the List-Id header

    @property
    def html_bytes(self) -> int:
        return len(self.html.encode("utf-8"))


def substitutions(
    first_name: str | None, unsubscribe_url: str, preferences_url: str
) -> dict[str, str]:
    """The substitution values for one recipient (first name falls back to ``friend``)."""
    name = (first_name or "").strip() or DEFAULT_FIRST_NAME
    return {
        FIRST_NAME_HTML: html.escape(name, quote=True),
        FIRST_NAME_TEXT: name,
        UNSUBSCRIBE_URL: unsubscribe_url,
        PREFERENCES_URL: preferences_url,
    }


def personalise(body: str, values: Mapping[str, str]) -> str:
    """Fill the tags in ``body`` exactly as SendGrid does: plain string replacement."""
    for tag, value in values.items():
        body = body.replace(tag, value)
    return body


def break_tags(text: str) -> str:
    """Make sure text from an issue file can never form a substitution tag."""
    return text.replace("%%", "%\u200b%")


def email_hash(email: Email) -> str:
    """The SHA-256 (hex) of everything a supporter receives before personalisation.

    Subject, preheader, sender (address and name), reply-to, the HTML and the plain text, with
    the substitution tags unfilled. Nothing else: the list, ``send_at`` or the issue's status
    may change without changing what arrives. An approval is bound to this value.
    """
    parts = [
        email.subject,
        email.preheader,
        email.from_email,
        email.from_name,
        email.reply_to or "",
        email.html,
        email.text,
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def short_hash(value: str) -> str:
    """The first characters of an email hash, as people see and quote it."""
    return value[:SHORT_HASH]
