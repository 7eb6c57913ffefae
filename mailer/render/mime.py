"""One complete MIME message for one recipient, exactly as they would receive it.

Used for the outbox and SMTP transports (one message per recipient) and for ``newsletter
build``'s ``.eml`` preview (with sample values). The SendGrid transport does not use it:
SendGrid builds the MIME itself from the same parts and headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from mailer.render.email import UNSUBSCRIBE_URL, Email, personalise

TEST_PREFIX = "[TEST] "
ONE_CLICK = "List-Unsubscribe=One-Click"


def subject_line(email: Email, *, test: bool = False) -> str:
    """The subject as sent: prefixed with ``[TEST] `` for test sends."""
    return f"{TEST_PREFIX}{email.subject}" if test else email.subject


def list_unsubscribe(unsubscribe_url: str, mailto: str | None = None) -> str:
    """The ``List-Unsubscribe`` value: the https URL, and a mailto only when one is given."""
    value = f"<{unsubscribe_url}>"
    if mailto:
        value += f", <mailto:{mailto}?subject=unsubscribe>"
    return value


def build_message(
    email: Email,
    to_addr: str,
    values: Mapping[str, str],
    *,
    headers: Mapping[str, str] = {},
    test: bool = False,
    unsubscribe_mailto: str | None = None,
) -> EmailMessage:
    """A multipart/alternative message (text/plain, then text/html) for one recipient.

    ``values`` maps each substitution tag to this recipient's value (see
    :func:`mailer.render.email.substitutions`); ``headers`` are added as given.
    """
    message = EmailMessage()
    message["From"] = formataddr((email.from_name, email.from_email))
    message["To"] = to_addr
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Subject"] = subject_line(email, test=test)
    message["Date"] = formatdate(usegmt=True)
    domain = email.from_email.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["List-Unsubscribe"] = list_unsubscribe(values[UNSUBSCRIBE_URL], unsubscribe_mailto)
    message["List-Unsubscribe-Post"] = ONE_CLICK
    for name, value in headers.items():
        message[name] = value
    message.set_content(personalise(email.text, values), subtype="plain", charset="utf-8")
    message.add_alternative(personalise(email.html, values), subtype="html", charset="utf-8")
    return message
