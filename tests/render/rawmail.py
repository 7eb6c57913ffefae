"""Checks on a message's raw bytes, as a mailbox provider reads them (not as the stdlib parses)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from subscribers.records import new_public_id
from subscribers.tokens import TokenSigner

BASE = "https://news.example.org"


def real_unsubscribe_url(list_id: str = "research-news") -> str:
    """An unsubscribe URL with a token signed as a real send signs it (90+ characters)."""
    token = TokenSigner([b"k" * 32]).sign("unsubscribe", new_public_id(), list_id)
    url = f"{BASE}/u/{token}"
    assert len(url) >= 90, url
    return url


def raw_headers(data: bytes) -> dict[str, str]:
    """The top-level headers as written: name → value with only the line breaks removed."""
    head = data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("ascii")
    found: dict[str, str] = {}
    name = ""
    for line in head.split("\n"):
        if line[:1] in (" ", "\t"):
            found[name] += line
        else:
            name, _, value = line.partition(": ")
            found[name] = value
    return found


def check_raw_message(data: bytes, unsubscribe_url: str) -> EmailMessage:
    """Assert what RFC 2369/2919/8058 and 2045 ask of the bytes; return the parsed message."""
    headers = raw_headers(data)
    assert headers["List-Unsubscribe"].startswith(f"<{unsubscribe_url}>"), headers
    assert "=?" not in headers["List-Unsubscribe"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "=?" not in headers["List-Id"]
    body = data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[1]
    too_long = [line for line in body.split(b"\n") if len(line) > 76]
    assert too_long == []
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    parts = list(message.iter_parts())
    assert [part["Content-Transfer-Encoding"] for part in parts] == ["quoted-printable"] * 2
    for part in parts:
        assert isinstance(part, EmailMessage)
        assert unsubscribe_url in part.get_content()
    return message
