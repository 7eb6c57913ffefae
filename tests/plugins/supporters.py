"""Fixtures for the supporter pages: an app on a real database, its outbox, tokens, forms."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.types import ASGIApp

from mailer.settings import Project
from mailer.web import WebLimits, create_app
from subscribers.keys import AddressHasher
from subscribers.store import Consent, Subscriber, subscribe
from subscribers.tokens import TokenSigner

SECRET = "test-secret-key-for-the-supporter-pages"
FIELD = "csrf_token"
URL = re.compile(r"https?://[^\s\"'<>]+")


@dataclass
class Site:
    """The app under test over real HTTP, with its database, outbox and clock."""

    http: httpx.Client
    app: Starlette
    engine: Engine
    outbox: Path
    clock: Any  # tests.plugins.web.MutableClock (not imported: plugins load in name order)
    signer: TokenSigner
    base_url: str  # the public base_url of the settings (links in emails)

    def messages(self, kind: str | None = None) -> list[EmailMessage]:
        """Every .eml in the outbox (``kind``: only notice-<kind>), oldest first."""
        pattern = f"notice-{kind}/*.eml" if kind else "**/*.eml"
        paths = sorted(self.outbox.glob(pattern), key=lambda p: (p.stat().st_mtime_ns, p.name))
        return [read_eml(path) for path in paths]

    def form(self, path: str) -> str:
        """GET a form page and return its CSRF token (the cookie stays in the client)."""
        response = self.http.get(path)
        assert response.status_code == 200, response.text
        return csrf_of(response.text)

    def post_form(self, path: str, data: Mapping[str, object]) -> httpx.Response:
        return self.http.post(path, data={FIELD: self.form(path), **data})

    def path_of(self, url: str) -> str:
        assert url.startswith(self.base_url), url
        return url[len(self.base_url) :]

    def add(
        self, address: str, *lists: str, confirmed: bool = True, name: str = "Ada"
    ) -> Subscriber:
        subscriber = None
        for list_id in lists or ("research-news",):
            subscriber = subscribe(
                self.engine,
                address,
                list_id,
                consent=Consent(source="staff"),
                hasher=AddressHasher((SECRET.encode(),)),
                who="test",
                first_name=name,
                confirmed=confirmed,
                now=self.clock(),
            )
        assert subscriber is not None
        return subscriber


def read_eml(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    content: str = part.get_content()
    return content


def links_in(message: EmailMessage, marker: str) -> list[str]:
    return [url for url in URL.findall(text_of(message)) if marker in url]


def csrf_of(page: str) -> str:
    node = HTMLParser(page).css_first(f"input[name={FIELD}]")
    assert node is not None, "no CSRF field on the page"
    return str(node.attributes["value"])


@pytest.fixture
def supporter_env(tmp_path: Path) -> dict[str, str]:
    return {
        "NEWSLETTER_SECRET_KEY": SECRET,
        "NEWSLETTER_TRANSPORT": "outbox",
        "NEWSLETTER_OUTBOX_DIR": str(tmp_path / "outbox"),
    }


@pytest.fixture
def make_site(
    web_project: Project,
    engine: Engine,
    db_url: str,
    clock: Any,
    supporter_env: dict[str, str],
    serve: Callable[[ASGIApp], httpx.Client],
) -> Iterator[Callable[..., Site]]:
    """Builds the app on the test database (any ``WebLimits``) and mounts it on the server."""
    apps: list[Starlette] = []

    def make(limits: WebLimits = WebLimits(), environ: dict[str, str] | None = None) -> Site:
        app = create_app(
            web_project,
            engine_url=db_url,
            clock=clock,
            limits=limits,
            environ=supporter_env if environ is None else environ,
        )
        apps.append(app)
        return Site(
            http=serve(app),
            app=app,
            engine=engine,
            outbox=Path(supporter_env["NEWSLETTER_OUTBOX_DIR"]),
            clock=clock,
            signer=TokenSigner((SECRET.encode(),)),
            base_url=web_project.settings.base_url,
        )

    try:
        yield make
    finally:
        for app in apps:
            app.state.supporters.close()


@pytest.fixture
def site(make_site: Callable[..., Site]) -> Site:
    return make_site()
