"""``newsletter send ISSUE``: outbox fallback, dry run, test and sandbox sends, 400 and 401.

Run in-process with click's CliRunner against a copy of the project, the test database (both
backends) and the fake SendGrid server.
"""

from __future__ import annotations

import email
import json
import re
import shutil
from collections.abc import Callable
from email.message import Message
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, update

from mailer.cli import cli
from mailer.send.campaigns import get_campaign
from subscribers.db import write_transaction
from subscribers.models import subscribers
from tests.fakesendgrid import FakeSendGrid
from tests.plugins.content import ROOT
from tests.plugins.sendgrid import TEST_API_KEY
from tests.plugins.sending import SAMPLE_ISSUE, Newsletter, Person, add_people


@pytest.fixture
def five(engine: Engine) -> list[Person]:
    return add_people(engine, 5)


def read_eml(path: Path) -> Message:
    return email.message_from_bytes(path.read_bytes())


def test_without_a_transport_an_interactive_send_says_it_writes_to_the_outbox(
    newsletter: Newsletter, five: list[Person], project_copy: Path
) -> None:
    result = newsletter("send", SAMPLE_ISSUE, "--yes")
    assert result.exit_code == 0, result.output
    assert (
        "No transport configured (NEWSLETTER_TRANSPORT): writing to the local outbox at "
        f"{project_copy / 'outbox'}" in result.stderr
    )
    files = sorted((project_copy / "outbox" / SAMPLE_ISSUE).glob("*.eml"))
    assert len(files) == 5
    assert sorted(read_eml(f)["To"] for f in files) == sorted(
        f"{p.first_name} <{p.email}>" for p in five
    )


def test_dry_run_sends_nothing_and_prints_a_redacted_plan(
    newsletter: Newsletter, five: list[Person], server: FakeSendGrid, engine: Engine
) -> None:
    result = newsletter("send", SAMPLE_ISSUE, "--dry-run", "--json", server=server)
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["recipients"] == 5
    assert plan["batches"] == 1
    assert plan["batch_size"] == 1000
    assert plan["transport"] == "sendgrid"
    assert server.requests == 0
    assert get_campaign(engine, SAMPLE_ISSUE) is None
    for person in five:
        assert person.email not in result.output
        assert person.public_id not in result.output
        assert str(person.first_name) not in result.output  # a name is personal data too
    assert "/u/u1." not in result.output
    assert "/p/p1." not in result.output
    sample = plan["sample_payload"]["personalizations"][0]
    assert sample["headers"]["List-Unsubscribe"] == "<https://news.example.org/u/REDACTED>"


def test_dry_run_as_a_table_names_the_transport_and_the_count(
    newsletter: Newsletter, five: list[Person], server: FakeSendGrid
) -> None:
    result = newsletter("send", SAMPLE_ISSUE, "--dry-run", server=server)
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was sent" in result.stdout
    assert "sendgrid" in result.stdout
    assert server.requests == 0


def test_a_sent_issue_edited_and_sent_again_sends_nothing(
    newsletter: Newsletter,
    five: list[Person],
    server: FakeSendGrid,
    project_copy: Path,
    engine: Engine,
) -> None:
    first = newsletter("send", SAMPLE_ISSUE, "--yes", server=server)
    assert first.exit_code == 0, first.output
    assert len(server.accepted_delivery_ids()) == 5
    path = project_copy / "newsletters" / f"{SAMPLE_ISSUE}.yaml"
    text = path.read_text(encoding="utf-8")
    edited = text.replace('subject: "Research news:', 'subject: "CORRECTED Research news:')
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    second = newsletter("send", SAMPLE_ISSUE, "--yes", server=server)
    assert second.exit_code == 0, second.output
    assert f"{SAMPLE_ISSUE} was already sent; nothing sent" in second.stderr
    assert server.requests == 1
    campaign = get_campaign(engine, SAMPLE_ISSUE)
    assert campaign is not None
    assert campaign.subject == "Research news: stopping secondary breast cancer in its tracks"


def _subject_of(server: FakeSendGrid) -> str:
    return str(server.received[-1].body["subject"])


def test_test_send_goes_only_to_the_given_addresses_and_leaves_the_campaign_unsent(
    newsletter: Newsletter, five: list[Person], server: FakeSendGrid, engine: Engine
) -> None:
    result = newsletter(
        "send", SAMPLE_ISSUE, "--test-to", "ed@example.org,proof@example.org", server=server
    )
    assert result.exit_code == 0, result.output
    sent = [p["to"][0]["email"] for p in server.received[0].body["personalizations"]]
    assert sent == ["ed@example.org", "proof@example.org"]
    assert _subject_of(server).startswith("[PROOF]")
    assert get_campaign(engine, SAMPLE_ISSUE) is None
    proofs = newsletter("proofs", SAMPLE_ISSUE, "--json")
    assert proofs.exit_code == 0, proofs.output
    assert [p["recipients"] for p in json.loads(proofs.stdout)["proofs"]] == [sent]


def test_sandbox_send_validates_the_whole_audience_and_leaves_the_campaign_unsent(
    newsletter: Newsletter, five: list[Person], server: FakeSendGrid, engine: Engine
) -> None:
    result = newsletter("send", SAMPLE_ISSUE, "--sandbox", server=server)
    assert result.exit_code == 0, result.output
    assert len(server.received) == 1
    assert server.received[0].sandbox
    assert server.accepted() == []
    assert get_campaign(engine, SAMPLE_ISSUE) is None
    real = newsletter("send", SAMPLE_ISSUE, "--yes", server=server)
    assert real.exit_code == 0, real.output
    assert len(server.accepted_delivery_ids()) == 5
    show = newsletter("campaigns", "show", SAMPLE_ISSUE)
    assert show.exit_code == 0, show.output
    assert "Test and sandbox sends (not part of the campaign)" in show.stdout
    assert "sandbox" in show.stdout


def test_a_400_shows_sendgrids_messages_and_fails_the_campaign(
    newsletter: Newsletter, five: list[Person], server: FakeSendGrid, engine: Engine
) -> None:
    with write_transaction(engine) as connection:
        connection.execute(
            update(subscribers).where(subscribers.c.id == five[2].id).values(email="not-an-address")
        )
    result = newsletter("send", SAMPLE_ISSUE, "--yes", server=server)
    assert result.exit_code == 2, result.output
    assert "SendGrid refused the request (400)" in result.stderr
    assert re.search(r"personalizations\.\d\.to\.0\.email: .*must be email", result.stderr)
    campaign = get_campaign(engine, SAMPLE_ISSUE)
    assert campaign is not None
    assert campaign.status == "failed"
    assert server.accepted() == []
    show = newsletter("campaigns", "show", SAMPLE_ISSUE, "--json")
    data = json.loads(show.stdout)
    assert data["status"] == "failed"
    assert "to.0.email" in data["reason"]
    assert data["counts"]["failed"] == 5


def test_a_401_says_the_key_was_refused_without_printing_it_and_exits_2(
    newsletter: Newsletter,
    five: list[Person],
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
    engine: Engine,
) -> None:
    server = fake_sendgrid_factory(api_key="SG.the-only-key-the-server-takes")
    result = newsletter("send", SAMPLE_ISSUE, "--yes", server=server)
    assert result.exit_code == 2, result.output
    assert "SendGrid refused the API key (HTTP 401)" in result.stderr
    assert TEST_API_KEY not in result.output
    assert TEST_API_KEY.split(".")[1] not in result.output
    campaign = get_campaign(engine, SAMPLE_ISSUE)
    assert campaign is not None
    assert campaign.status == "sending"
    from mailer.send.deliveries import delivery_counts

    assert delivery_counts(engine, campaign.id)["queued"] == 5  # a fixed key resumes them


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give either an ISSUE or --due"),
        ((SAMPLE_ISSUE, "--due"), "give either an ISSUE or --due"),
        (("no-such-issue", "--yes"), "no-such-issue"),
    ],
)
def test_bad_invocations_are_refused_with_exit_1(
    newsletter: Newsletter, args: tuple[str, ...], message: str
) -> None:
    result = newsletter("send", *args)
    assert result.exit_code == 1
    assert message in result.stderr


def test_without_a_terminal_and_without_yes_it_does_not_send(
    newsletter: Newsletter, five: list[Person], server: FakeSendGrid
) -> None:
    result = newsletter("send", SAMPLE_ISSUE, server=server)
    assert result.exit_code == 1
    assert "add --yes" in result.stderr
    assert server.requests == 0


def test_an_empty_audience_never_starts_a_campaign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sending before anyone is subscribed must not use up the issue id."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "newsletters", project / "newsletters")
    shutil.copytree(ROOT / "templates", project / "templates")
    shutil.copy(ROOT / "newsletter.yaml", project / "newsletter.yaml")
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "an-empty-audience-test-key-123456")
    monkeypatch.setenv("NEWSLETTER_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("NEWSLETTER_TRANSPORT", raising=False)
    result = CliRunner().invoke(
        cli, ["--project", str(project), "send", "2026-12-secondary-research", "--yes"]
    )
    assert result.exit_code == 1
    assert "is empty: nothing was sent and the campaign was not started" in result.output
    listed = CliRunner().invoke(cli, ["--project", str(project), "campaigns", "list", "--json"])
    assert listed.exit_code == 0
    assert json.loads(listed.output) == []


def test_dry_run_shows_the_request_the_real_send_makes(
    newsletter: Newsletter, five: list[Person], server: FakeSendGrid
) -> None:
    """The dry run's sample is built by the transport itself, with its own settings."""
    settings = {"NEWSLETTER_CLICK_TRACKING": "1", "NEWSLETTER_ASM_GROUP": "42"}
    planned = newsletter("send", SAMPLE_ISSUE, "--dry-run", "--json", server=server, **settings)
    assert planned.exit_code == 0, planned.output
    sample = json.loads(planned.stdout)["sample_payload"]
    sent = newsletter("send", SAMPLE_ISSUE, "--yes", server=server, **settings)
    assert sent.exit_code == 0, sent.output
    body = server.accepted()[0].body
    assert body is not None
    per_batch = {"personalizations", "content", "custom_args"}  # recipients, truncated parts
    assert sample["custom_args"] == {
        **body["custom_args"],
        "campaign_id": "(assigned when the send starts)",
    }
    assert {k: v for k, v in sample.items() if k not in per_batch} == {
        k: v for k, v in body.items() if k not in per_batch
    }
    assert sample["tracking_settings"]["click_tracking"]["enable"] is True
    assert sample["asm"]["group_id"] == 42
    shown, real = sample["personalizations"][0], body["personalizations"][0]
    assert sorted(shown["headers"]) == sorted(real["headers"])
    assert sorted(shown["substitutions"]) == sorted(real["substitutions"])
