"""The outbox transport writes one parseable .eml per recipient."""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from mailer.render.email import Email, substitutions
from mailer.transports.outbox import OutboxTransport
from tests.plugins.sendgrid import make_email, make_outgoing
from tests.render.rawmail import check_raw_message, real_unsubscribe_url


def test_writes_one_eml_per_recipient(tmp_path: Path, transport_email: Email) -> None:
    outbox = OutboxTransport(tmp_path)
    batch = make_outgoing(3)
    result = outbox.send_batch(transport_email, batch, custom_args={"campaign_id": "c7"})
    assert result.accepted == 3
    assert sorted(p.name for p in (tmp_path / "2025-06-research-news").iterdir()) == [
        "d0000000.eml",
        "d0000001.eml",
        "d0000002.eml",
    ]


def test_eml_is_what_the_supporter_receives(tmp_path: Path, transport_email: Email) -> None:
    outbox = OutboxTransport(tmp_path)
    item = make_outgoing(2, first_name="Zoë")[1]
    outbox.send_batch(transport_email, [item])
    message = message_from_bytes(
        (tmp_path / "2025-06-research-news" / "d0000001.eml").read_bytes(), policy=policy.default
    )
    assert message["To"] == "Zoë <person1@example.org>"
    assert message["List-Unsubscribe"] == "<https://news.example.org/u/tok0000001>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = (part.get_content() for part in message.iter_parts())
    assert text.startswith("Dear Zoë,")
    assert "https://news.example.org/p/tok0000001" in html


def test_sandbox_writes_nothing(tmp_path: Path, transport_email: Email) -> None:
    result = OutboxTransport(tmp_path).send_batch(transport_email, make_outgoing(2), sandbox=True)
    assert result.accepted == 2
    assert list(tmp_path.iterdir()) == []


def test_no_partial_files_left(tmp_path: Path, transport_email: Email) -> None:
    OutboxTransport(tmp_path).send_batch(transport_email, make_outgoing(5))
    assert all(p.suffix == ".eml" for p in (tmp_path / "2025-06-research-news").iterdir())


@pytest.mark.parametrize("issue_id", ["../escape", "a/b", ".hidden", "/"])
def test_unsafe_folder_names_are_refused(tmp_path: Path, issue_id: str) -> None:
    outbox = OutboxTransport(tmp_path)
    with pytest.raises(ValueError, match="not safe as a file name"):
        outbox.send_batch(make_email(issue_id=issue_id), make_outgoing(1))
    assert list(tmp_path.iterdir()) == []


def test_unsafe_delivery_ids_are_refused(tmp_path: Path, transport_email: Email) -> None:
    bad = replace(make_outgoing(1)[0], delivery_id="../../etc/passwd")
    with pytest.raises(ValueError, match="delivery id"):
        OutboxTransport(tmp_path).send_batch(transport_email, [bad])


def test_over_size_batch_is_refused(tmp_path: Path, transport_email: Email) -> None:
    with pytest.raises(ValueError, match="over the limit of 100"):
        OutboxTransport(tmp_path).send_batch(transport_email, make_outgoing(101))


def test_raw_eml_bytes_carry_list_unsubscribe_as_written(
    tmp_path: Path, transport_email: Email
) -> None:
    url = real_unsubscribe_url()
    item = replace(
        make_outgoing(1)[0],
        substitutions=substitutions("Ann", url, url.replace("/u/", "/p/")),
        unsubscribe_url=url,
    )
    OutboxTransport(tmp_path).send_batch(transport_email, [item])
    data = (tmp_path / "2025-06-research-news" / "d0000000.eml").read_bytes()
    check_raw_message(data, url)
    assert f"\nList-Unsubscribe: <{url}>\n".encode() in data
    assert b"\nList-Id: research-news <research-news.news.example.org>\n" in data
