"""The web version of a sent issue: the email as it went out, made into a page for anyone.

:func:`web_mjml` takes the campaign's frozen MJML (what every recipient got, before
personalisation) and changes only what makes no sense on a public page:

- the "View this email in your browser" link (we are the browser) becomes a signup link;
- the greeting that carries the first-name tag (``Dear %%first_name_html%%,``) is dropped:
  a page read by anyone addresses no one;
- the footer's unsubscribe link becomes a signup link, and its preferences link goes to
  ``/link`` (where a subscriber can ask for their own link by email).

Whatever per-recipient tag is left is filled with neutral values, so no ``%%…%%`` shows. The
result is compiled with the same MJML compiler as the email, then cached per campaign.
"""

from __future__ import annotations

import re

from mailer.render.email import (
    FIRST_NAME_HTML,
    PREFERENCES_URL,
    UNSUBSCRIBE_URL,
    Email,
    personalise,
    substitutions,
)

SIGNUP_PATH = "/subscribe"
LINK_PATH = "/link"
SIGNUP_INVITATION = "Get research news by email: sign up"
SIGNUP_FOOTER = "Sign up"

_MJ_TEXT = re.compile(r"<mj-text\b[^>]*>(?:(?!</mj-text>).)*</mj-text>\s*", re.DOTALL)


def _anchor(href: str) -> re.Pattern[str]:
    """An ``<a …href="href"…>…</a>``: groups are the attributes around href and the text."""
    return re.compile(
        rf'<a\s([^>]*?)href="{re.escape(href)}"([^>]*)>(.*?)</a>', re.DOTALL | re.IGNORECASE
    )


def _relink(source: str, href: str, new_href: str, text: str | None = None) -> str:
    """Point every link to ``href`` at ``new_href`` (and show ``text``), keeping its style."""

    def swap(match: re.Match[str]) -> str:
        before, after, old_text = match.groups()
        return f'<a {before}href="{new_href}"{after}>{old_text if text is None else text}</a>'

    return _anchor(href).sub(swap, source)


def _drop_greeting(source: str) -> str:
    return _MJ_TEXT.sub(lambda m: "" if FIRST_NAME_HTML in m.group(0) else m.group(0), source)


def web_mjml(email: Email) -> str:
    """The frozen MJML of ``email`` made into its public web version (see the module doc)."""
    source = _relink(email.mjml, email.view_url, SIGNUP_PATH, SIGNUP_INVITATION)
    source = _drop_greeting(source)
    source = _relink(source, UNSUBSCRIBE_URL, SIGNUP_PATH, SIGNUP_FOOTER)
    source = _relink(source, PREFERENCES_URL, LINK_PATH)
    return personalise(source, substitutions(None, LINK_PATH, LINK_PATH))
