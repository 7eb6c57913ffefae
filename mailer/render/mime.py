"""One complete MIME message for one recipient, exactly as they would receive it.

Used for the outbox and SMTP transports (one message per recipient) and for ``newsletter
build``'s ``.eml`` preview (with sample values). The SendGrid transport does not use it:
SendGrid builds the MIME itself from the same parts and headers.

The bytes follow the RFCs rather than the standard library's defaults: ``List-Unsubscribe``
and ``List-Id`` are written as given (RFC 2369, 2919, 8058: the stdlib would turn a value with
a word over 76 characters, such as an unsubscribe URL with its token, into an RFC 2047
encoded-word that mailbox providers do not read), folded only at the space after a comma; both
parts are quoted-printable with lines of at most 76 characters (RFC 2045).
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formataddr, formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

from mailer.render.email import UNSUBSCRIBE_URL, Email, personalise

TEST_PREFIX = "[TEST] "
ONE_CLICK = "List-Unsubscribe=One-Click"
QP_LINE_LENGTH = 76  # RFC 2045 section 6.7; also what headers are folded to
VERBATIM_HEADERS = frozenset({"list-unsubscribe", "list-id"})


class MailPolicy(EmailPolicy):
    """``email.policy.default`` with lines of 76, except the headers written as given.

    Headers named in :data:`VERBATIM_HEADERS` are folded only at whitespace after a comma
    when their value is ASCII (a list name that is not is left to the standard library).
    """

    def fold(self, name: str, value: Any) -> str:
        if _verbatim(name, value):
            return self._verbatim(name, str(value))
        return str(super().fold(name, value))

    def fold_binary(self, name: str, value: Any) -> bytes:
        if _verbatim(name, value):
            return self._verbatim(name, str(value)).encode("ascii")
        return bytes(super().fold_binary(name, value))

    def _verbatim(self, name: str, value: str) -> str:
        items = " ".join(value.split()).split(", ")
        lines = [f"{name}: {items[0]}"]
        for item in items[1:]:
            if len(lines[-1]) + len(item) + 2 <= QP_LINE_LENGTH:
                lines[-1] += f", {item}"
            else:
                lines[-1] += ","
                lines.append(f" {item}")
        return self.linesep.join(lines) + self.linesep


def _verbatim(name: str, value: Any) -> bool:
    return name.lower() in VERBATIM_HEADERS and str(value).isascii()


POLICY = MailPolicy(max_line_length=QP_LINE_LENGTH)


def subject_line(email: Email, *, test: bool = False) -> str:
    """The subject as sent: prefixed with ``[TEST] `` for test sends."""
    return f"{TEST_PREFIX}{email.subject}" if test else email.subject


def list_unsubscribe(unsubscribe_url: str, mailto: str | None = None) -> str:
    """The ``List-Unsubscribe`` value: the https URL, and a mailto only when one is given."""
    value = f"<{unsubscribe_url}>"
    if mailto:
        value += f", <mailto:{mailto}?subject=unsubscribe>"
    return value


def list_id(email: Email) -> str:
    """The ``List-Id`` value (RFC 2919): ``List name <list-id.host-of-base-url>``.

    The list's id is a slug, so ``<id>.<host>`` is a valid list identifier; the host is the
    web pages' (``email.view_url`` is under the settings' ``base_url``).
    """
    host = urlsplit(email.view_url).hostname or email.from_email.rpartition("@")[2]
    return formataddr((email.list_name or email.list_id, f"{email.list_id}.{host}"))


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
    message = EmailMessage(policy=POLICY)
    message["From"] = formataddr((email.from_name, email.from_email))
    message["To"] = to_addr
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Subject"] = subject_line(email, test=test)
    message["Date"] = formatdate(usegmt=True)
    domain = email.from_email.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["List-Id"] = list_id(email)
    message["List-Unsubscribe"] = list_unsubscribe(values[UNSUBSCRIBE_URL], unsubscribe_mailto)
    message["List-Unsubscribe-Post"] = ONE_CLICK
    for name, value in headers.items():
        message[name] = value
    message.set_content(
        personalise(email.text, values), subtype="plain", charset="utf-8", cte="quoted-printable"
    )
    message.add_alternative(
        personalise(email.html, values), subtype="html", charset="utf-8", cte="quoted-printable"
    )
    return message
