"""Staff sessions: a random token in a signed cookie, a row per session in the database.

The cookie (``nl_staff``, path ``/staff``, ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when the
site's base URL is https) holds ``TOKEN.MAC``: 32 random bytes and an HMAC of them under a key
derived from ``NEWSLETTER_SECRET_KEY``, so a cookie that was not made here is refused without
touching the database. The row (keyed by the token's SHA-256) records when the session started
and was last seen: past the idle timeout or the absolute timeout it is refused and deleted.
Signing out deletes the row; disabling an account or resetting its password deletes all of
its rows (:mod:`mailer.web.staff.accounts`), so those sessions end on their next request.

Every POST carries a CSRF token, an HMAC of the session token (one per session; nothing else
to store), checked by :meth:`SessionKeys.check_csrf`.

The one-line notice a page shows after an action (``?done=MESSAGE&sig=MAC``) is signed too,
over the message and the session token (:meth:`SessionKeys.flash_mac`): a crafted link cannot
put words on a staff page, and a notice made for one session shows in no other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update

from mailer.web.staff.accounts import StaffAccount, account_from_row
from mailer.web.staff.tables import staff, staff_sessions
from subscribers.db import read_connection, write_transaction

COOKIE = "nl_staff"
COOKIE_PATH = "/staff"
#: Refresh ``seen_at`` at most this often (one write per minute per session, not per request).
SEEN_RESOLUTION = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Timeouts:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    account: StaffAccount
    created_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class SessionKeys:
    """Signs session cookies and CSRF tokens with keys derived from the site's secret."""

    def __init__(self, secret: bytes) -> None:
        self._cookie_key = hashlib.sha256(b"newsletter/staff-session/" + secret).digest()
        self._csrf_key = hashlib.sha256(b"newsletter/staff-csrf/" + secret).digest()
        self._flash_key = hashlib.sha256(b"newsletter/staff-flash/" + secret).digest()

    def cookie_value(self, token: str) -> str:
        return f"{token}.{self._mac(self._cookie_key, token)}"

    def token_from_cookie(self, value: str) -> str | None:
        token, _, mac = value.partition(".")
        if not token or len(value) > 200 or not value.isascii():
            return None
        if not hmac.compare_digest(mac.encode(), self._mac(self._cookie_key, token).encode()):
            return None
        return token

    def csrf_token(self, session: Session) -> str:
        return self._mac(self._csrf_key, session.token)

    def check_csrf(self, session: Session, sent: object) -> bool:
        if not isinstance(sent, str) or not sent.isascii():
            return False
        return hmac.compare_digest(sent.encode(), self.csrf_token(session).encode())

    def flash_mac(self, session: Session | None, message: str) -> str:
        """The signature of a one-line notice for the next page of ``session`` (None: the
        signed-out pages), so that a link made elsewhere cannot put words on a staff page."""
        bound = f"{session.token if session else ''}\n{message}".encode()
        return _b64(hmac.new(self._flash_key, bound, hashlib.sha256).digest())

    def check_flash(self, session: Session | None, message: str, sent: str) -> bool:
        if not sent.isascii():
            return False
        return hmac.compare_digest(sent.encode(), self.flash_mac(session, message).encode())

    @staticmethod
    def _mac(key: bytes, token: str) -> str:
        return _b64(hmac.new(key, token.encode("ascii"), hashlib.sha256).digest())


def start_session(engine: Engine, account: StaffAccount, *, now: datetime) -> Session:
    token = secrets.token_urlsafe(32)
    with write_transaction(engine) as connection:
        connection.execute(
            staff_sessions.insert().values(
                token_hash=_digest(token), staff_id=account.id, created_at=now, seen_at=now
            )
        )
    return Session(token, account, now)


def load_session(
    engine: Engine, token: str, *, now: datetime, timeouts: Timeouts
) -> Session | None:
    """The live session of ``token`` (seen now), or None when unknown, expired or disabled."""
    digest = _digest(token)
    with read_connection(engine) as connection:
        row = connection.execute(
            select(
                staff,
                staff_sessions.c.created_at.label("session_created_at"),
                staff_sessions.c.seen_at,
            )
            .join(staff_sessions, staff_sessions.c.staff_id == staff.c.id)
            .where(staff_sessions.c.token_hash == digest)
        ).first()
    if row is None:
        return None
    expired = (
        now - row.seen_at >= timeouts.idle or now - row.session_created_at >= timeouts.absolute
    )
    if expired or not row.active:
        end_session(engine, token)
        return None
    if now - row.seen_at >= SEEN_RESOLUTION:
        with write_transaction(engine) as connection:
            connection.execute(
                update(staff_sessions)
                .where(staff_sessions.c.token_hash == digest)
                .values(seen_at=now)
            )
    return Session(token, account_from_row(row), row.session_created_at)


def end_session(engine: Engine, token: str) -> None:
    with write_transaction(engine) as connection:
        connection.execute(
            delete(staff_sessions).where(staff_sessions.c.token_hash == _digest(token))
        )
