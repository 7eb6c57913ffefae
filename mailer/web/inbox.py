"""The inbox line: what a supporter sees of an issue before opening it, on a phone.

A mail app on a 375 px phone (iOS Mail, the Gmail app) shows one line of the sender's name,
one line of the subject and about two lines of preview text, then cuts each with "…". At the
default text size that is about :data:`SENDER_CHARS`, :data:`SUBJECT_CHARS` and
:data:`PREHEADER_CHARS` characters. The cut falls at a word boundary when one is near, as the
apps do. Without a preheader, the app shows the first words of the email instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailer.render.email import Email

SENDER_CHARS = 25
SUBJECT_CHARS = 35
PREHEADER_CHARS = 90
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class InboxLine:
    sender: str
    subject: str
    preheader: str
    preheader_given: bool  # False: the preview text is the start of the email itself


def cut(text: str, limit: int) -> str:
    """``text`` on one line, cut to at most ``limit`` characters (the last one "…")."""
    text = _SPACES.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    word = head.rpartition(" ")[0]
    if len(word) >= limit * 2 // 3:
        head = word
    return head.rstrip(" ,;:.-–—") + "…"


def inbox_line(email: Email, text: str) -> InboxLine:
    """The inbox line of ``email``; ``text`` is its personalised plain-text part."""
    preheader = email.preheader or text
    return InboxLine(
        sender=cut(email.from_name, SENDER_CHARS),
        subject=cut(email.subject, SUBJECT_CHARS),
        preheader=cut(preheader, PREHEADER_CHARS),
        preheader_given=bool(email.preheader),
    )
