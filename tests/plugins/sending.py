"""Fixtures for the sending pipeline: a populated list, links with a test key, a fake clock.

``add_people(engine, n)`` bulk-inserts ``n`` active subscribers of one list (fast: one
multi-row insert per table, no consent rows); ``people`` is its result for the standard list.
``recipient_links`` signs with :data:`TEST_SECRET`; tests verify tokens with ``token_signer``.
``cli_env`` sets the environment a ``newsletter send`` subprocess or CliRunner needs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, insert, select

from mailer.cli import cli
from mailer.render.email import Email
from mailer.send.campaigns import get_campaign, start_campaign
from mailer.send.links import RecipientLinks
from mailer.send.runs import send_issue
from mailer.send.sender import SendOptions, SendReport
from mailer.send.tables import deliveries
from mailer.send.window import Window
from mailer.transports.retry import RetryPolicy
from mailer.transports.sendgrid import SendGridConfig
from mailer.transports.sendgrid_admin import SendGridAdmin
from subscribers.db import read_connection, write_transaction
from subscribers.models import ACTIVE, subscribers, subscriptions
from subscribers.tokens import TokenSigner
from tests.fakesendgrid import FakeSendGrid
from tests.plugins.sendgrid import TEST_API_KEY, make_email, sendgrid_transport_for

TEST_SECRET = "test-only-secret-key-0123456789abcdef"
BASE_URL = "https://news.example.org"
LIST_ID = "research-news"
START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    id: int
    public_id: str
    email: str
    first_name: str | None


class FakeClock:
    """A clock tests move by hand; ``tick`` is added on every reading (distinct timestamps)."""

    def __init__(self, start: datetime = START, tick: timedelta = timedelta(0)) -> None:
        self.now = start
        self.tick = tick

    def __call__(self) -> datetime:
        value = self.now
        self.now += self.tick
        return value

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def add_people(
    engine: Engine,
    count: int,
    *,
    list_id: str = LIST_ID,
    start: int = 0,
    first_name: str | None = None,
) -> list[Person]:
    """``count`` active subscribers of ``list_id`` (``person<i>@example.org``), in id order."""
    when = START - timedelta(days=30)
    rows = [
        {
            "public_id": f"pub{i:07d}",
            "email": f"person{i}@example.org",
            "email_key": f"person{i}@example.org",
            "first_name": first_name if first_name is not None else f"Name{i}",
            "status": ACTIVE,
            "attributes": {},
            "created_at": when,
            "updated_at": when,
            "confirmed_at": when,
        }
        for i in range(start, start + count)
    ]
    with write_transaction(engine) as connection:
        if rows:
            connection.execute(insert(subscribers), rows)
        found = connection.execute(
            select(
                subscribers.c.id,
                subscribers.c.public_id,
                subscribers.c.email,
                subscribers.c.first_name,
            )
            .where(subscribers.c.public_id.in_([r["public_id"] for r in rows]))
            .order_by(subscribers.c.id)
        ).all()
        if found:
            connection.execute(
                insert(subscriptions),
                [
                    {
                        "subscriber_id": row.id,
                        "list_id": list_id,
                        "status": ACTIVE,
                        "created_at": when,
                        "updated_at": when,
                    }
                    for row in found
                ],
            )
    return [Person(*row) for row in found]


def delivery_rows(engine: Engine, campaign_id: int) -> list[Any]:
    """Every delivery row of a campaign, in id order."""
    with read_connection(engine) as connection:
        return list(
            connection.execute(
                select(deliveries)
                .where(deliveries.c.campaign_id == campaign_id)
                .order_by(deliveries.c.id)
            ).all()
        )


def open_test_campaign(engine: Engine, email: Email, now: datetime = START) -> Any:
    """A fresh ``sending`` campaign for ``email`` (as ``newsletter send`` opens it)."""
    start_campaign(engine, email, transport="sendgrid", now=now)
    campaign = get_campaign(engine, email.issue_id)
    assert campaign is not None
    return campaign


def fast_retry(seed: int = 1, **changes: Any) -> RetryPolicy:
    """A retry policy whose waits are milliseconds, with seeded jitter."""
    values: dict[str, Any] = {"scale": 0.001, "rng": random.Random(seed), "max_attempts": 12}
    values.update(changes)
    return RetryPolicy(**values)


def fast_options(**changes: Any) -> SendOptions:
    values: dict[str, Any] = {"retry": fast_retry()}
    values.update(changes)
    return SendOptions(**values)


def admin_for(server: FakeSendGrid, **options: Any) -> SendGridAdmin:
    """SendGrid's suppression, batch and scheduled-send APIs at the fake ``server``, retrying
    fast (``options`` go to :class:`SendGridAdmin`)."""
    config = SendGridConfig(api_key=TEST_API_KEY, host=server.url, timeout=5.0)
    return SendGridAdmin(config, policy=options.pop("policy", fast_retry()), **options)


@pytest.fixture
def token_signer() -> TokenSigner:
    return TokenSigner([TEST_SECRET.encode()])


@pytest.fixture
def recipient_links(token_signer: TokenSigner) -> RecipientLinks:
    return RecipientLinks(token_signer, BASE_URL)


@pytest.fixture
def sample_email() -> Email:
    return make_email()


@pytest.fixture
def send_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def people(engine: Engine) -> list[Person]:
    """Five active subscribers of the research-news list."""
    return add_people(engine, 5)


def cli_env(
    db_url: str,
    *,
    server_url: str | None = None,
    outbox: Path | None = None,
    transport: str | None = None,
) -> dict[str, str]:
    """Environment variables for a ``newsletter send`` run against ``db_url``."""
    env = {
        "NEWSLETTER_DATABASE_URL": db_url,
        "NEWSLETTER_SECRET_KEY": TEST_SECRET,
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    if server_url is not None:
        env.update(
            NEWSLETTER_TRANSPORT=transport or "sendgrid",
            SENDGRID_API_KEY=TEST_API_KEY,
            SENDGRID_API_HOST=server_url,
            SENDGRID_TIMEOUT="10",
        )
    elif transport is not None:
        env["NEWSLETTER_TRANSPORT"] = transport
    if outbox is not None:
        env["NEWSLETTER_OUTBOX_DIR"] = str(outbox)
    return env


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No sending-related variables from the outer environment leak into a CLI run."""
    for name in (
        "NEWSLETTER_TRANSPORT",
        "NEWSLETTER_DATABASE_URL",
        "NEWSLETTER_SECRET_KEY",
        "NEWSLETTER_SECRET_KEY_PREVIOUS",
        "NEWSLETTER_OUTBOX_DIR",
        "NEWSLETTER_DEV_KEY",
        "SENDGRID_API_KEY",
        "SENDGRID_API_HOST",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


SAMPLE_ISSUE = "2026-12-secondary-research"


def write_issue(
    project: Path,
    issue_id: str,
    *,
    status: str = "ready",
    send_at: datetime | str | None = None,
    subject: str | None = None,
    embargo_until: datetime | None = None,
    list_id: str = LIST_ID,
) -> Path:
    """Write ``newsletters/<issue_id>.yaml`` from the sample digest with these fields changed."""
    import yaml

    data = yaml.safe_load((project / "newsletters" / f"{SAMPLE_ISSUE}.yaml").read_text())
    data["id"] = issue_id
    data["status"] = status
    data["audience"] = {"list": list_id}
    if subject is not None:
        data["subject"] = subject
    if send_at is None:
        data.pop("send_at", None)
    else:
        data["send_at"] = send_at if isinstance(send_at, str) else send_at.isoformat()
    if embargo_until is not None:
        data["stories"][0]["embargo_until"] = embargo_until.isoformat()
    path = project / "newsletters" / f"{issue_id}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


#: ``newsletter(*args, server=None, **env_changes)``: the CLI run in-process (see below).
Newsletter = Callable[..., Result]


@pytest.fixture
def newsletter(project_copy: Path, db_url: str, clean_env: pytest.MonkeyPatch) -> Newsletter:
    """Run ``newsletter --project COPY …`` in-process against ``db_url``: through SendGrid when
    given a fake ``server``, else the outbox (``COPY/outbox``); keyword arguments change (or,
    with ``None``, remove) environment variables."""

    def run(*args: str, server: FakeSendGrid | None = None, **env_changes: str | None) -> Result:
        env: dict[str, str | None] = dict(
            cli_env(db_url, server_url=server.url if server else None)
        )
        env.update(env_changes)
        return CliRunner().invoke(cli, ["--project", str(project_copy), *args], env=env)

    return run


@pytest.fixture
def server(fake_sendgrid_factory: Callable[..., FakeSendGrid]) -> FakeSendGrid:
    """A fake SendGrid server that accepts ``TEST_API_KEY`` (tests may override it)."""
    return fake_sendgrid_factory(api_key=TEST_API_KEY)


#: The cancel window the window tests stage campaigns under.
CANCEL_WINDOW = timedelta(minutes=15)


def send_with_window(
    engine: Engine, email: Email, server: FakeSendGrid, links: RecipientLinks, clock: FakeClock
) -> SendReport:
    """Send ``email`` through the fake ``server`` staged under :data:`CANCEL_WINDOW`."""
    window = Window(CANCEL_WINDOW, admin_for(server))
    options = fast_options(batch_size=2, concurrency=1, window=window)
    transport = sendgrid_transport_for(server)
    return send_issue(engine, email, transport, links, clock=clock, options=options)
