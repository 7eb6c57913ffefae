"""Fixtures for the transports: a fake SendGrid server per test, an Email, recipients."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mailer.render.email import Email, substitutions
from mailer.transports.base import Outgoing
from mailer.transports.sendgrid import SendGridConfig, SendGridTransport
from tests.fakesendgrid import FakeSendGrid

TEST_API_KEY = "SG.test-only-key.Zq9xVb7Lr3Kp"  # not a real key; tests look for it in logs

SAMPLE_HTML = (
    "<html><body><p>Dear %%first_name_html%%,</p><p>News from the lab.</p>"
    '<a href="%%unsubscribe_url%%">Unsubscribe</a> <a href="%%preferences_url%%">Preferences</a>'
    "</body></html>"
)
SAMPLE_TEXT = (
    "Dear %%first_name_text%%,\n\nNews from the lab.\n\n"
    "Unsubscribe: %%unsubscribe_url%%\nPreferences: %%preferences_url%%\n"
)


def make_email(**changes: Any) -> Email:
    values: dict[str, Any] = {
        "issue_id": "2025-06-research-news",
        "subject": "Research news: June",
        "preheader": "What our researchers found this month",
        "html": SAMPLE_HTML,
        "text": SAMPLE_TEXT,
        "mjml": "<mjml></mjml>",
        "from_email": "research-news@example.org",
        "from_name": "Ribbon Research Trust",
        "reply_to": "supporters@example.org",
        "list_id": "research-news",
        "interests": (),
        "send_at": None,
        "embargo_until": None,
        "view_url": "https://news.example.org/archive/2025-06-research-news",
    }
    values.update(changes)
    return Email(**values)


def make_outgoing(count: int, *, start: int = 0, first_name: str | None = "Ann") -> list[Outgoing]:
    """``count`` recipients with distinct delivery ids, addresses and tokens."""
    found = []
    for index in range(start, start + count):
        unsubscribe = f"https://news.example.org/u/tok{index:07d}"
        found.append(
            Outgoing(
                delivery_id=f"d{index:07d}",
                to_email=f"person{index}@example.org",
                to_name=first_name,
                substitutions=substitutions(
                    first_name, unsubscribe, f"https://news.example.org/p/tok{index:07d}"
                ),
                unsubscribe_url=unsubscribe,
            )
        )
    return found


def post_json(
    url: str, body: Any, key: str | None = TEST_API_KEY, raw: bytes | None = None
) -> tuple[int, dict[str, str], Any]:
    """POST to the fake server with urllib; (status, headers, parsed JSON body or None)."""
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(url + "/v3/mail/send", data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = response.read()
            return response.status, dict(response.headers), json.loads(payload or b"null")
    except urllib.error.HTTPError as exc:
        with exc:
            payload = exc.read()
            return exc.code, dict(exc.headers), json.loads(payload or b"null")


@pytest.fixture
def transport_email() -> Email:
    return make_email()


@pytest.fixture
def fake_sendgrid_factory() -> Iterator[Callable[..., FakeSendGrid]]:
    """Start fake servers with any options; every one is closed after the test."""
    servers: list[FakeSendGrid] = []

    def start(**options: Any) -> FakeSendGrid:
        server = FakeSendGrid(**options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def fake_sendgrid(fake_sendgrid_factory: Callable[..., FakeSendGrid]) -> FakeSendGrid:
    return fake_sendgrid_factory(api_key=TEST_API_KEY)


def sendgrid_transport_for(server: FakeSendGrid, **options: Any) -> SendGridTransport:
    config = SendGridConfig(api_key=TEST_API_KEY, host=server.url, timeout=5.0)
    clock = options.pop("clock", None)
    if options:
        from dataclasses import replace

        config = replace(config, **options)
    return SendGridTransport(config) if clock is None else SendGridTransport(config, clock=clock)


@pytest.fixture
def sendgrid_transport(fake_sendgrid: FakeSendGrid) -> Iterator[SendGridTransport]:
    transport = sendgrid_transport_for(fake_sendgrid)
    yield transport
    transport.close()
