"""What the supporter pages share: the store, the signer, the forms' CSRF guard, rate limits.

:class:`Supporters` is built once per app by :func:`mailer.web.routes.supporter_routes` and
handed to the endpoint factories of :mod:`mailer.web.signup`, :mod:`mailer.web.unsubscribe`,
:mod:`mailer.web.preferences` and :mod:`mailer.web.archive`, which import this module (never
the other way round). The database engine and the keys
are made on first use, so the app starts (and its other pages work) without a database or
``NEWSLETTER_SECRET_KEY``; a supporter page then answers 503 (see ``errorpages``).
``newsletter serve`` checks the keys before it starts, and ``dev_key`` (``--dev-key``) uses
the same development-only key as ``newsletter quickstart`` when no key is set.

The audit log names the web request: ``web:<action> ip=<client address>`` (see
:mod:`mailer.web.forms`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse

from mailer.clock import Clock
from mailer.settings import Project
from mailer.transports import Transport, transport_from_env
from mailer.web.csrf import FIELD, CsrfGuard, set_cookie
from mailer.web.notices import Notice, NoticeKind, Notices
from mailer.web.pages import Pages
from mailer.web.ratelimit import RateLimiter
from subscribers.errors import InvalidToken
from subscribers.keys import AddressHasher, keys_from_env
from subscribers.store import Subscriber, get_by_public_id
from subscribers.tokens import Purpose, TokenClaims, TokenSigner

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("mailer.web")


@dataclass(frozen=True, slots=True)
class SignupLimits:
    """Rate limits on the forms that send email."""

    per_ip: int = 10  # form posts per client IP per window (then 429)
    per_address: int = 3  # emails to one address per window (then silently none)
    window: timedelta = timedelta(hours=1)


class Supporters:
    """The services behind the supporter pages; one per app, shared by its endpoints."""

    def __init__(
        self,
        project: Project,
        pages: Pages,
        *,
        engine_url: str | None,
        environ: Mapping[str, str],
        clock: Clock,
        limits: SignupLimits = SignupLimits(),
        transport_factory: Callable[[], Transport] | None = None,
        dev_key: bool = False,
    ) -> None:
        self.project = project
        self.dev_key = dev_key
        self.settings = project.settings
        self.pages = pages
        self.clock = clock
        self.environ = environ
        self.engine_url = engine_url
        self.ip_limiter = RateLimiter(limits.per_ip, limits.window, clock)
        self.address_limiter = RateLimiter(limits.per_address, limits.window, clock)
        factory = transport_factory or (
            lambda: transport_from_env(environ, project, interactive=True)
        )
        self.notices = Notices(pages, project, factory)
        self._engine: Engine | None = None
        self._keys: tuple[bytes, ...] | None = None
        self._lock = threading.Lock()

    # --- lazily made parts -------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                from subscribers.db import database_url, get_engine

                url = self.engine_url or database_url(self.project.root, self.environ)
                self._engine = get_engine(url)
            return self._engine

    def _secret_keys(self) -> tuple[bytes, ...]:
        if self._keys is None:
            # MissingSecretKey → 503; ``newsletter serve`` refuses to start without a key instead
            self._keys = keys_from_env(self.environ, allow_dev=self.dev_key)
        return self._keys

    @property
    def signer(self) -> TokenSigner:
        return TokenSigner(self._secret_keys())

    @property
    def hasher(self) -> AddressHasher:
        return AddressHasher(self._secret_keys())

    @property
    def csrf(self) -> CsrfGuard:
        return CsrfGuard(self._secret_keys()[0])

    def close(self) -> None:
        """Dispose of the database engine (at shutdown, or after a test)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    # --- links and tokens --------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self.settings.base_url}{path}"

    def token_path(self, purpose: Purpose, public_id: str, list_id: str | None = None) -> str:
        """``/u/…``, ``/p/…`` or ``/confirm/…`` with a fresh token (for links on our pages)."""
        prefix = {"unsubscribe": "/u/", "preferences": "/p/", "confirm": "/confirm/"}[purpose]
        return prefix + self.signer.sign(purpose, public_id, list_id, issued_at=self.clock())

    def link(self, purpose: Purpose, public_id: str, list_id: str | None = None) -> str:
        """The absolute link under the public ``base_url`` (for emails)."""
        return self.url(self.token_path(purpose, public_id, list_id))

    def verify(self, token: str, purpose: Purpose) -> TokenClaims:
        if len(token) > 200 or not token.isascii():
            raise InvalidToken("malformed token")
        return self.signer.verify(token, purpose, now=self.clock())

    def subscriber_for(self, claims: TokenClaims) -> Subscriber | None:
        return get_by_public_id(self.engine, claims.public_id)

    def notice(
        self,
        kind: NoticeKind,
        subscriber: Subscriber,
        list_id: str,
        list_names: tuple[str, ...] = (),
    ) -> Notice:
        assert subscriber.email is not None
        return Notice(
            kind=kind,
            to_email=subscriber.email,
            first_name=subscriber.first_name,
            list_id=list_id,
            unsubscribe_url=self.link("unsubscribe", subscriber.public_id, list_id),
            preferences_url=self.link("preferences", subscriber.public_id),
            action_url=self.link("confirm", subscriber.public_id) if kind == "confirm" else None,
            list_names=list_names,
        )

    def send_notice(self, notice: Notice) -> bool:
        """Send unless this address had its share of emails this hour; never raises."""
        if self.address_limiter.hit(notice.to_email.lower()) is not None:
            log.warning("notice %s not sent: address rate limit", notice.kind)
            return False
        try:
            self.notices.send(notice)
        except Exception:
            log.exception("could not send the %s notice", notice.kind)
            return False
        return True

    def list_name(self, list_id: str) -> str:
        for item in self.settings.lists:
            if item.id == list_id:
                return item.name
        return list_id

    # --- forms -------------------------------------------------------------------------------

    def form_page(
        self,
        request: Request,
        template: str,
        context: Mapping[str, object],
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        """A page holding a CSRF-protected form (sets the cookie when it is new)."""
        guard = self.csrf
        cookie, new = guard.cookie_for(request)
        full = {"csrf_field": FIELD, "csrf_token": guard.field_for(cookie, request.url.path)}
        response = self.pages.render(
            request,
            template,
            {**full, **context},
            status_code=status_code,
            headers={"Cache-Control": "no-store"},
        )
        if new:
            set_cookie(response, request, cookie)
        return response

    def page(
        self, request: Request, template: str, context: Mapping[str, object], status_code: int = 200
    ) -> HTMLResponse:
        return self.pages.render(
            request,
            template,
            context,
            status_code=status_code,
            headers={"Cache-Control": "no-store"},
        )
