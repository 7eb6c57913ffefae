"""Choosing a transport from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.errors import TransportConfigError
from mailer.settings import Project, load_settings
from mailer.transports import transport_from_env
from mailer.transports.outbox import OutboxTransport
from mailer.transports.sendgrid import SendGridTransport
from mailer.transports.smtp import SmtpTransport

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def here(tmp_path: Path) -> Project:
    return Project(root=tmp_path, settings=load_settings(ROOT / "newsletter.yaml"))


def test_nothing_set_interactive_is_the_project_outbox(here: Project) -> None:
    transport = transport_from_env({}, here, interactive=True)
    assert isinstance(transport, OutboxTransport)
    assert transport.directory == here.root / "outbox"


def test_nothing_set_non_interactive_fails_loudly(here: Project) -> None:
    with pytest.raises(TransportConfigError, match="no transport configured"):
        transport_from_env({}, here, interactive=False)


def test_outbox_dir(here: Project, tmp_path: Path) -> None:
    env = {"NEWSLETTER_TRANSPORT": "outbox", "NEWSLETTER_OUTBOX_DIR": str(tmp_path / "o")}
    transport = transport_from_env(env, here, interactive=False)
    assert transport.target == str(tmp_path / "o")


def test_sendgrid_settings(here: Project) -> None:
    env = {
        "NEWSLETTER_TRANSPORT": "sendgrid",
        "SENDGRID_API_KEY": "SG.x",
        "SENDGRID_API_HOST": "http://127.0.0.1:9",
        "SENDGRID_TIMEOUT": "7.5",
        "NEWSLETTER_CLICK_TRACKING": "on",
        "NEWSLETTER_ASM_GROUP": "12",
    }
    transport = transport_from_env(env, here, interactive=False)
    assert isinstance(transport, SendGridTransport)
    config = transport.config
    assert (config.host, config.timeout, config.click_tracking, config.asm_group) == (
        "http://127.0.0.1:9",
        7.5,
        True,
        12,
    )
    assert "SG.x" not in repr(transport)


def test_sendgrid_defaults(here: Project) -> None:
    env = {"NEWSLETTER_TRANSPORT": "sendgrid", "SENDGRID_API_KEY": "SG.x"}
    transport = transport_from_env(env, here, interactive=False)
    assert isinstance(transport, SendGridTransport)
    assert transport.config.host == "https://api.sendgrid.com"
    assert transport.config.click_tracking is False
    assert transport.config.asm_group is None


def test_smtp(here: Project) -> None:
    env = {"NEWSLETTER_TRANSPORT": "SMTP", "NEWSLETTER_SMTP_URL": "smtp://h:2525"}
    transport = transport_from_env(env, here, interactive=False)
    assert isinstance(transport, SmtpTransport)
    assert transport.target == "h:2525"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NEWSLETTER_TRANSPORT": "carrier-pigeon"}, "is not one of sendgrid, smtp, outbox"),
        ({"NEWSLETTER_TRANSPORT": "sendgrid"}, "needs SENDGRID_API_KEY"),
        ({"NEWSLETTER_TRANSPORT": "smtp"}, "needs NEWSLETTER_SMTP_URL"),
        (
            {"NEWSLETTER_TRANSPORT": "sendgrid", "SENDGRID_API_KEY": "k", "SENDGRID_TIMEOUT": "x"},
            "SENDGRID_TIMEOUT must be a number",
        ),
        (
            {
                "NEWSLETTER_TRANSPORT": "sendgrid",
                "SENDGRID_API_KEY": "k",
                "NEWSLETTER_CLICK_TRACKING": "maybe",
            },
            "NEWSLETTER_CLICK_TRACKING must be on or off",
        ),
        (
            {
                "NEWSLETTER_TRANSPORT": "sendgrid",
                "SENDGRID_API_KEY": "k",
                "NEWSLETTER_ASM_GROUP": "abc",
            },
            "NEWSLETTER_ASM_GROUP must be",
        ),
        (
            {
                "NEWSLETTER_TRANSPORT": "sendgrid",
                "SENDGRID_API_KEY": "k",
                "SENDGRID_API_HOST": "api.sendgrid.com",
            },
            "SENDGRID_API_HOST must be an http",
        ),
    ],
)
def test_bad_settings(here: Project, env: dict[str, str], message: str) -> None:
    with pytest.raises(TransportConfigError, match=message):
        transport_from_env(env, here, interactive=True)


def test_error_never_shows_the_key(here: Project) -> None:
    env = {
        "NEWSLETTER_TRANSPORT": "sendgrid",
        "SENDGRID_API_KEY": "SG.sekrit",
        "SENDGRID_TIMEOUT": "-1",
    }
    with pytest.raises(TransportConfigError) as caught:
        transport_from_env(env, here, interactive=True)
    assert "SG.sekrit" not in str(caught.value)
