"""Every environment variable of the package, named once and read in one place, typed.

``Config.from_environ(environ)`` reads and checks the variables the ``mailer`` code acts on
and returns a frozen value; call sites take that value, never ``os.environ``. Secrets are
:class:`Secret` values, which never show in a repr, a log line or an error message.

Three variables are read by someone else, and are listed here so that :data:`VARIABLES` is
the whole list (the README's configuration table is tested against it):

- ``NEWSLETTER_PROJECT`` and ``NEWSLETTER_DEV_KEY`` are the environment names of the
  ``--project`` and ``--dev-key`` options; click reads them (``reader="cli"``).
- ``NEWSLETTER_DATABASE_URL``, ``NEWSLETTER_SECRET_KEY`` and ``NEWSLETTER_SECRET_KEY_PREVIOUS``
  are read by the ``subscribers`` package (``subscribers.db``, ``subscribers.keys``), which
  never imports ``mailer``; callers hand it the same mapping (``reader="subscribers"``).

This module imports nothing heavy: ``newsletter check`` and ``build`` may load it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from mailer.errors import TransportConfigError

PROJECT = "NEWSLETTER_PROJECT"
DEV_KEY = "NEWSLETTER_DEV_KEY"
DATABASE_URL = "NEWSLETTER_DATABASE_URL"
SECRET_KEY = "NEWSLETTER_SECRET_KEY"
SECRET_KEY_PREVIOUS = "NEWSLETTER_SECRET_KEY_PREVIOUS"
TRANSPORT = "NEWSLETTER_TRANSPORT"
OUTBOX_DIR = "NEWSLETTER_OUTBOX_DIR"
SENDGRID_API_KEY = "SENDGRID_API_KEY"
SENDGRID_API_HOST = "SENDGRID_API_HOST"
SENDGRID_TIMEOUT = "SENDGRID_TIMEOUT"
CLICK_TRACKING = "NEWSLETTER_CLICK_TRACKING"
ASM_GROUP = "NEWSLETTER_ASM_GROUP"
SMTP_URL = "NEWSLETTER_SMTP_URL"
SMTP_TIMEOUT = "NEWSLETTER_SMTP_TIMEOUT"
WEBHOOK_PUBLIC_KEY = "SENDGRID_WEBHOOK_PUBLIC_KEY"
PREVIEW_PASSWORD = "NEWSLETTER_PREVIEW_PASSWORD"
STAFF_IDLE_MINUTES = "NEWSLETTER_STAFF_IDLE_MINUTES"
STAFF_SESSION_HOURS = "NEWSLETTER_STAFF_SESSION_HOURS"

TRANSPORT_NAMES = ("sendgrid", "smtp", "outbox")
DEFAULT_TIMEOUT = 30.0
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

Reader = Literal["config", "cli", "subscribers"]


@dataclass(frozen=True, slots=True)
class Variable:
    """One environment variable: its name, who reads it, and whether it is a secret."""

    name: str
    reader: Reader = "config"
    secret: bool = False


#: Every environment variable the package reads, in the order of the README's table.
VARIABLES: tuple[Variable, ...] = (
    Variable(PROJECT, "cli"),
    Variable(DATABASE_URL, "subscribers", secret=True),
    Variable(SECRET_KEY, "subscribers", secret=True),
    Variable(SECRET_KEY_PREVIOUS, "subscribers", secret=True),
    Variable(DEV_KEY, "cli"),
    Variable(TRANSPORT),
    Variable(SENDGRID_API_KEY, secret=True),
    Variable(SENDGRID_API_HOST),
    Variable(SENDGRID_TIMEOUT),
    Variable(CLICK_TRACKING),
    Variable(ASM_GROUP),
    Variable(SMTP_URL, secret=True),
    Variable(SMTP_TIMEOUT),
    Variable(OUTBOX_DIR),
    Variable(WEBHOOK_PUBLIC_KEY),
    Variable(PREVIEW_PASSWORD, secret=True),
    Variable(STAFF_IDLE_MINUTES),
    Variable(STAFF_SESSION_HOURS),
)


@dataclass(frozen=True, slots=True)
class Secret:
    """A value that never shows in a repr, a log line or an error; ``reveal()`` hands it out."""

    value: str = field(default="", repr=False)

    def reveal(self) -> str:
        """The secret itself, for the one place that sends it (an API header, a login)."""
        return self.value

    def __bool__(self) -> bool:
        return bool(self.value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self.value else "Secret('')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Config:
    """The package's settings from the environment, checked; see the module docstring."""

    transport: str = ""  # one of TRANSPORT_NAMES, or "" when nothing is configured
    outbox_dir: Path | None = None
    sendgrid_api_key: Secret = Secret()
    sendgrid_api_host: str = ""  # "" = the transport's default host
    sendgrid_timeout: float = DEFAULT_TIMEOUT
    click_tracking: bool = False
    asm_group: int | None = None
    smtp_url: Secret = Secret()  # smtp://user:password@host:port carries a password
    smtp_timeout: float = DEFAULT_TIMEOUT
    webhook_public_key: str = ""  # public by design: SendGrid shows it in its console
    preview_password: Secret = Secret()
    has_secret_key: bool = False  # subscribers.keys reads the key itself
    staff_idle_minutes: int = 30  # a staff console session ends after this long unused
    staff_session_hours: int = 12  # and this long after signing in, whatever happens

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read ``environ`` (``os.environ`` when None); ``TransportConfigError`` names a bad one.

        Every value is checked here, whichever transport is chosen, so a typo stops the run
        before anything is sent.
        """
        env = os.environ if environ is None else environ
        transport = _text(env, TRANSPORT).lower()
        if transport and transport not in TRANSPORT_NAMES:
            raise TransportConfigError(
                f"{TRANSPORT}={transport!r} is not one of {', '.join(TRANSPORT_NAMES)}"
            )
        host = _text(env, SENDGRID_API_HOST)
        if host and not host.startswith(("https://", "http://")):
            raise TransportConfigError(f"{SENDGRID_API_HOST} must be an http(s):// URL")
        group = _text(env, ASM_GROUP)
        if group and not group.isdigit():
            raise TransportConfigError(f"{ASM_GROUP} must be a SendGrid group number")
        outbox = env.get(OUTBOX_DIR, "")
        return cls(
            transport=transport,
            outbox_dir=Path(outbox) if outbox else None,
            sendgrid_api_key=Secret(_text(env, SENDGRID_API_KEY)),
            sendgrid_api_host=host,
            sendgrid_timeout=_seconds(env, SENDGRID_TIMEOUT),
            click_tracking=_flag(env, CLICK_TRACKING),
            asm_group=int(group) if group else None,
            smtp_url=Secret(_text(env, SMTP_URL)),
            smtp_timeout=_seconds(env, SMTP_TIMEOUT),
            webhook_public_key=_text(env, WEBHOOK_PUBLIC_KEY),
            preview_password=Secret(env.get(PREVIEW_PASSWORD, "")),
            has_secret_key=bool(_text(env, SECRET_KEY)),
            staff_idle_minutes=_whole(env, STAFF_IDLE_MINUTES, 30),
            staff_session_hours=_whole(env, STAFF_SESSION_HOURS, 12),
        )


def _text(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name, "").strip()


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = _text(environ, name).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise TransportConfigError(f"{name} must be on or off, not {value!r}")


def _seconds(environ: Mapping[str, str], name: str) -> float:
    value = _text(environ, name)
    if not value:
        return DEFAULT_TIMEOUT
    try:
        number = float(value)
    except ValueError:
        raise TransportConfigError(f"{name} must be a number of seconds, not {value!r}") from None
    if number <= 0:
        raise TransportConfigError(f"{name} must be positive")
    return number


def _whole(environ: Mapping[str, str], name: str, default: int) -> int:
    value = _text(environ, name)
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise TransportConfigError(f"{name} must be a whole number above 0, not {value!r}")
    return int(value)
