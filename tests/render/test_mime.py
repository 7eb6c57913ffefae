"""One recipient's MIME message: parts, headers, personalisation."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from mailer.render.email import substitutions
from mailer.render.mime import build_message
from tests.plugins.sendgrid import make_email

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
