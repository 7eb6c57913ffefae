"""The SMTP transport against a tiny SMTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from email import message_from_bytes, policy

import pytest

from mailer.render.email import Email, substitutions
from mailer.transports import AuthFailed, MaybeAccepted, NotAccepted, Rejected
from mailer.transports.smtp import SmtpConfig, SmtpTransport, parse_smtp_url
from tests.plugins.sendgrid import make_outgoing
from tests.render.rawmail import check_raw_message, real_unsubscribe_url


@dataclass
class Mailbox:
    """What the server received, and how it should misbehave."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    password: str | None = None
    rcpt_reply: Callable[[int], bytes | None] = lambda count: None
    hang_up_after: int | None = None


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: _SmtpServer

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:  # noqa: C901 a fake SMTP server: one flat branch per verb
        box = self.server.mailbox
        sender, recipients = "", list[str]()
        self.reply("220 tiny ESMTP")
        while line := self.rfile.readline():
            command = line.decode().rstrip("\r\n")
            verb = command[:4].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-tiny\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
            elif verb == "HELO":
                self.reply("250 tiny")
            elif verb == "AUTH":
                decoded = base64.b64decode(command.split()[-1]).split(b"\0")
                box.logins.append(decoded[1].decode())
                ok = box.password is None or decoded[2].decode() == box.password
                self.reply("235 ok" if ok else "535 bad credentials")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].split()[0].strip("<>"), []
                self.reply("250 ok")
            elif verb == "RCPT":
                special = box.rcpt_reply(len(box.messages))
                if special is not None:
                    self.wfile.write(special + b"\r\n")
                    continue
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 ok")
            elif verb == "DATA":
                if box.hang_up_after is not None and len(box.messages) >= box.hang_up_after:
                    return
                self.reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                box.messages.append((sender, recipients, data))
                self.reply("250 queued")
            elif verb == "RSET" or verb == "NOOP":
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 unknown")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = True
    mailbox: Mailbox


@pytest.fixture
def smtp_server() -> Iterator[_SmtpServer]:
    server = _SmtpServer(("127.0.0.1", 0), _SmtpHandler)
    server.mailbox = Mailbox()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def transport_for(server: _SmtpServer, **options: object) -> SmtpTransport:
    port = server.server_address[1]
    return SmtpTransport(SmtpConfig(host="127.0.0.1", port=port, timeout=5, **options))  # type: ignore[arg-type]


def test_each_recipient_gets_their_own_message(
    smtp_server: _SmtpServer, transport_email: Email
) -> None:
    result = transport_for(smtp_server).send_batch(transport_email, make_outgoing(3))
    assert result.accepted == 3
    messages = smtp_server.mailbox.messages
    assert [(s, r) for s, r, _ in messages] == [
        ("research-news@example.org", [f"person{i}@example.org"]) for i in range(3)
    ]
    parsed = message_from_bytes(messages[2][2], policy=policy.default)
    assert parsed["List-Unsubscribe"] == "<https://news.example.org/u/tok0000002>"
    text = next(parsed.iter_parts()).get_content()
    assert "tok0000002" in text


def test_login_from_url(smtp_server: _SmtpServer, transport_email: Email) -> None:
    smtp_server.mailbox.password = "s3cret"
    transport = transport_for(smtp_server, username="staging", password="s3cret")
    transport.send_batch(transport_email, make_outgoing(1))
    assert smtp_server.mailbox.logins == ["staging"]


def test_bad_login_is_auth_failed(smtp_server: _SmtpServer, transport_email: Email) -> None:
    smtp_server.mailbox.password = "right"
    transport = transport_for(smtp_server, username="staging", password="wrong")
    with pytest.raises(AuthFailed, match="refused the login"):
        transport.send_batch(transport_email, make_outgoing(1))


def test_nothing_listening_is_not_accepted(transport_email: Email) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = SmtpTransport(SmtpConfig(host="127.0.0.1", port=port, timeout=2))
    with pytest.raises(NotAccepted, match="could not connect"):
        transport.send_batch(transport_email, make_outgoing(1))


@pytest.mark.parametrize(
    ("reply", "error"), [(b"451 try later", NotAccepted), (b"550 no such user", Rejected)]
)
def test_refusal_before_anything_was_accepted(
    smtp_server: _SmtpServer, transport_email: Email, reply: bytes, error: type[Exception]
) -> None:
    smtp_server.mailbox.rcpt_reply = lambda count: reply
    with pytest.raises(error):
        transport_for(smtp_server).send_batch(transport_email, make_outgoing(2))


def test_failure_after_some_were_accepted_is_maybe_accepted(
    smtp_server: _SmtpServer, transport_email: Email
) -> None:
    smtp_server.mailbox.hang_up_after = 1
    with pytest.raises(MaybeAccepted, match="after 1 message"):
        transport_for(smtp_server).send_batch(transport_email, make_outgoing(3))
    assert len(smtp_server.mailbox.messages) == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", SmtpConfig(host="mail.example.org", port=25)),
        (
            "smtp://u%40x:p%2Fw@mail.example.org:2525?starttls=1",
            SmtpConfig("mail.example.org", 2525, "u@x", "p/w", starttls=True),
        ),
        ("smtps://mail.example.org", SmtpConfig("mail.example.org", 465, implicit_tls=True)),
    ],
)
def test_parse_smtp_url(url: str, expected: SmtpConfig) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "smtp://h:notaport"])
def test_bad_smtp_urls(url: str) -> None:
    from mailer.errors import TransportConfigError

    with pytest.raises(TransportConfigError):
        parse_smtp_url(url)


def test_password_not_in_repr() -> None:
    assert "s3cret" not in repr(parse_smtp_url("smtp://u:s3cret@h"))


def test_raw_smtp_bytes_carry_list_unsubscribe_as_written(
    smtp_server: _SmtpServer, transport_email: Email
) -> None:
    url = real_unsubscribe_url()
    item = replace(
        make_outgoing(1, first_name="Zoë")[0],
        substitutions=substitutions("Zoë", url, url.replace("/u/", "/p/")),
        unsubscribe_url=url,
    )
    transport_for(smtp_server).send_batch(transport_email, [item])
    data = smtp_server.mailbox.messages[0][2]
    check_raw_message(data, url)
    assert f"\r\nList-Unsubscribe: <{url}>\r\n".encode() in data
