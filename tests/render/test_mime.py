"""One recipient's MIME message: parts, headers, personalisation."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import cli
from mailer.render.email import substitutions
from mailer.render.mime import POLICY, build_message, list_id
from tests.plugins.content import ROOT
from tests.plugins.sendgrid import make_email
from tests.render.rawmail import check_raw_message, raw_headers, real_unsubscribe_url

VALUES = substitutions(
    "<i>Jo</i>", "https://news.example.org/u/TOKEN1", "https://news.example.org/p/TOKEN1"
)


def parsed(message: EmailMessage) -> EmailMessage:
    result = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(result, EmailMessage)
    return result


def test_message_is_multipart_alternative_text_then_html() -> None:
    message = parsed(build_message(make_email(), "jo@example.org", VALUES))
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]


def test_bodies_are_personalised_escaped_for_html_raw_for_text() -> None:
    message = parsed(build_message(make_email(), "jo@example.org", VALUES))
    text, html = (part.get_content() for part in message.iter_parts())
    assert "Dear <i>Jo</i>," in text
    assert "Dear &lt;i&gt;Jo&lt;/i&gt;," in html
    assert "https://news.example.org/u/TOKEN1" in text
    assert 'href="https://news.example.org/p/TOKEN1"' in html
    assert "%%" not in text + html


def test_headers() -> None:
    message = parsed(build_message(make_email(), "Jo <jo@example.org>", VALUES))
    assert message["From"] == "Ribbon Research Trust <research-news@example.org>"
    assert message["To"] == "Jo <jo@example.org>"
    assert message["Reply-To"] == "supporters@example.org"
    assert message["Subject"] == "Research news: June"
    assert message["List-Unsubscribe"] == "<https://news.example.org/u/TOKEN1>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Date"]


def test_test_send_subject_is_prefixed() -> None:
    message = build_message(make_email(), "jo@example.org", VALUES, test=True)
    assert message["Subject"] == "[TEST] Research news: June"


def test_mailto_only_when_given() -> None:
    message = build_message(
        make_email(), "jo@example.org", VALUES, unsubscribe_mailto="unsub@example.org"
    )
    assert message["List-Unsubscribe"] == (
        "<https://news.example.org/u/TOKEN1>, <mailto:unsub@example.org?subject=unsubscribe>"
    )


def test_no_reply_to_when_unset_and_extra_headers_added() -> None:
    message = build_message(
        make_email(reply_to=None), "jo@example.org", VALUES, headers={"X-Delivery-Id": "d1"}
    )
    assert message["Reply-To"] is None
    assert message["X-Delivery-Id"] == "d1"


def test_non_ascii_survives() -> None:
    email = make_email(subject="Résumé of research — June", text="Café %%first_name_text%%")
    message = parsed(build_message(email, "jo@example.org", VALUES))
    assert message["Subject"] == "Résumé of research — June"
    assert next(message.iter_parts()).get_content().startswith("Café <i>Jo</i>")


def test_raw_bytes_carry_list_unsubscribe_as_written_with_a_real_token() -> None:
    url = real_unsubscribe_url()
    values = substitutions("Jo", url, url.replace("/u/", "/p/"))
    data = build_message(make_email(), "jo@example.org", values).as_bytes()
    check_raw_message(data, url)
    assert f"\nList-Unsubscribe: <{url}>\n".encode() in data


def test_list_id_names_the_list_under_the_base_url_host() -> None:
    message = build_message(make_email(list_name="Research news"), "jo@example.org", VALUES)
    assert b"\nList-Id: Research news <research-news.news.example.org>\n" in message.as_bytes()
    assert list_id(make_email()) == "research-news <research-news.news.example.org>"
    quoted = list_id(make_email(list_name="Research, news"))
    assert quoted == '"Research, news" <research-news.news.example.org>'


def test_long_list_unsubscribe_with_mailto_folds_only_after_the_comma() -> None:
    url = real_unsubscribe_url()
    values = substitutions("Jo", url, url)
    message = build_message(
        make_email(), "jo@example.org", values, unsubscribe_mailto="unsubscribe@example.org"
    )
    data = message.as_bytes()
    assert (
        f"\nList-Unsubscribe: <{url}>,\n <mailto:unsubscribe@example.org?subject=unsubscribe>\n"
    ).encode() in data
    assert parsed(message)["List-Unsubscribe"] == (
        f"<{url}>, <mailto:unsubscribe@example.org?subject=unsubscribe>"
    )


def test_smtp_bytes_use_the_same_policy() -> None:
    """smtplib flattens with the message's own policy (CRLF, utf8 when needed)."""
    url = real_unsubscribe_url()
    message = build_message(make_email(), "jo@example.org", substitutions("Jo", url, url))
    data = message.as_bytes(policy=POLICY.clone(linesep="\r\n", utf8=True))
    check_raw_message(data, url)
    assert f"\r\nList-Unsubscribe: <{url}>\r\n".encode() in data


@pytest.mark.parametrize(
    ("issue", "list_header"),
    [
        ("2026-12-secondary-research", "Research news <research-news.news.example.org>"),
        ("2026-12-winter-appeal", "Appeals and fundraising <appeals.news.example.org>"),
    ],
)
def test_built_eml_raw_bytes_use_a_realistic_sample_token(
    tmp_path: Path, issue: str, list_header: str
) -> None:
    result = CliRunner().invoke(
        cli, ["--project", str(ROOT), "build", issue, "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    data = (tmp_path / f"{issue}.eml").read_bytes()
    unsubscribe = raw_headers(data)["List-Unsubscribe"].strip("<>")
    assert len(unsubscribe) >= 90, unsubscribe
    check_raw_message(data, unsubscribe)
    assert raw_headers(data)["List-Id"] == list_header
