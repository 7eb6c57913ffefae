"""CSRF protection for the supporter forms: a signed double-submit cookie.

A GET of a form page sets a random cookie (HttpOnly, SameSite=Strict, Secure over https); the
form carries ``HMAC(key, cookie | form path)`` in a hidden field. A POST is accepted only when
the cookie is present and the field matches it for that path, so another site can neither read
nor forge the pair. Every form is protected except ``POST /u/TOKEN`` (RFC 8058 one-click: mail
providers post without cookies or tokens; the signed unsubscribe token is the credential) and
the signed webhook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from mailer.errors import MailerError

COOKIE = "nl_csrf"
FIELD = "csrf_token"
_COOKIE_BYTES = 24


class CsrfRejected(MailerError):
    """A form post without a valid CSRF token (stale page, cookies off, or another site)."""


class CsrfGuard:
    """Issues and checks form tokens with a key derived from the site's secret."""

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"newsletter/csrf/" + key).digest()

    def cookie_for(self, request: Request) -> tuple[str, bool]:
        """The request's cookie value (reused when well-formed) and whether it is new."""
        value = request.cookies.get(COOKIE, "")
        if _well_formed(value):
            return value, False
        return secrets.token_urlsafe(_COOKIE_BYTES), True

    def field_for(self, cookie: str, path: str) -> str:
        mac = hmac.new(self._key, f"{cookie}|{path}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def check(self, request: Request, form: Mapping[str, object]) -> None:
        """Raise CsrfRejected unless the form's field matches the cookie for this path."""
        cookie = request.cookies.get(COOKIE, "")
        sent = form.get(FIELD)
        if not _well_formed(cookie) or not isinstance(sent, str) or not sent:
            raise CsrfRejected("the form's security token is missing")
        expected = self.field_for(cookie, request.url.path)
        if not hmac.compare_digest(expected.encode(), sent.encode("utf-8", "replace")):
            raise CsrfRejected("the form's security token does not match")


def set_cookie(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def _well_formed(value: str) -> bool:
    return 16 <= len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value)
