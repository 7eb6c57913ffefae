"""A list with ``consent_only: true`` sends only to subscribers who consented: never to those on
the charitable soft opt-in (``newsletter send`` through the outbox, both backends)."""

from __future__ import annotations

import email
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from mailer.cli import cli
from subscribers.keys import AddressHasher
from subscribers.store import Basis, Consent, subscribe
from tests.plugins.sending import SAMPLE_ISSUE, cli_env

RACE = Basis(
    "charitable_soft_opt_in",
    "donated at the 2026 Race for Life",
    "RFL-2026 entry form v3 tick box 4",
    date(2026, 5, 10),
)


def restrict(project: Path, consent_only: bool) -> None:
    settings = project / "newsletter.yaml"
    marker = "    description: Monthly news from the labs and clinics we fund.\n"
    text = settings.read_text(encoding="utf-8")
    assert marker in text
    if consent_only:
        settings.write_text(text.replace(marker, marker + "    consent_only: true\n"), "utf-8")


@pytest.fixture
def people(engine: Engine) -> None:
    hasher = AddressHasher([b"k" * 32])
    for address, consent in (
        ("dee@example.org", Consent("staff")),
        ("eve@example.org", Consent("import", basis=RACE)),
    ):
        subscribe(
            engine,
            address,
            "research-news",
            consent=consent,
            hasher=hasher,
            who="t",
            confirmed=True,
        )


def send(project: Path, db_url: str, *args: str) -> Result:
    env = cli_env(db_url, outbox=project / "outbox")
    return CliRunner().invoke(
        cli, ["--project", str(project), "send", SAMPLE_ISSUE, *args], env=env
    )


@pytest.mark.parametrize(
    ("consent_only", "recipients"),
    [(True, ["dee@example.org"]), (False, ["dee@example.org", "eve@example.org"])],
)
def test_a_consent_only_list_is_sent_to_consent_subscribers_only(
    project_copy: Path,
    db_url: str,
    clean_env: pytest.MonkeyPatch,
    people: None,
    consent_only: bool,
    recipients: list[str],
) -> None:
    restrict(project_copy, consent_only)
    planned = json.loads(send(project_copy, db_url, "--dry-run", "--json").stdout)
    assert planned["recipients"] == len(recipients)
    result = send(project_copy, db_url, "--yes")
    assert result.exit_code == 0, result.output
    sent = sorted((project_copy / "outbox" / SAMPLE_ISSUE).glob("*.eml"))
    to = sorted(email.message_from_bytes(path.read_bytes())["To"] for path in sent)
    assert [address.split("<")[-1].rstrip(">") for address in to] == recipients
