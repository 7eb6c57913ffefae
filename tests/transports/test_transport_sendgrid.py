"""The SendGrid transport against the fake server: bodies, limits and fault classification."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import pytest

from mailer.render.email import FIRST_NAME_HTML, FIRST_NAME_TEXT, Email, personalise
from mailer.render.mime import list_id
from mailer.transports import AuthFailed, MaybeAccepted, NotAccepted, Rejected
from mailer.transports.base import Outgoing
from mailer.transports.sendgrid import (
    EncodedBody,
    SendGridConfig,
    SendGridTransport,
    build_request_body,
    encode_body,
)
from tests.fakesendgrid import FakeSendGrid, FaultPlan
from tests.plugins.sendgrid import TEST_API_KEY, make_outgoing, sendgrid_transport_for


def test_batch_of_1000_goes_in_one_request(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    batch = make_outgoing(1000)
    result = sendgrid_transport.send_batch(transport_email, batch)
    assert result.accepted == 1000
    assert result.message_id == fake_sendgrid.accepted()[0].message_id
    assert len(fake_sendgrid.received) == 1
    assert fake_sendgrid.accepted_delivery_ids() == [item.delivery_id for item in batch]


def test_batch_of_1001_is_refused_before_sending(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    with pytest.raises(ValueError, match="1001 recipients is over the limit of 1000"):
        sendgrid_transport.send_batch(transport_email, make_outgoing(1001))
    assert fake_sendgrid.requests == 0


def test_each_personalization_carries_its_own_values(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    batch = make_outgoing(3)
    sendgrid_transport.send_batch(transport_email, batch)
    sent = fake_sendgrid.accepted()[0].body["personalizations"]
    for item, personalization in zip(batch, sent, strict=True):
        assert personalization["to"] == [{"email": item.to_email, "name": "Ann"}]
        assert personalization["substitutions"] == dict(item.substitutions)
        assert personalization["custom_args"] == {"delivery_id": item.delivery_id}
        assert personalization["headers"] == {
            "List-Unsubscribe": f"<{item.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }


def test_every_message_names_its_list_in_list_id(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    """The same ``List-Id`` as outbox and SMTP mail (RFC 2919), once per request."""
    sendgrid_transport.send_batch(transport_email, make_outgoing(2))
    body = fake_sendgrid.accepted()[0].body
    assert body["headers"] == {"List-Id": list_id(transport_email)}
    assert body["headers"]["List-Id"].endswith(f"<{transport_email.list_id}.news.example.org>")


def test_markup_in_a_first_name_arrives_escaped_for_html_and_raw_for_text(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    sendgrid_transport.send_batch(transport_email, make_outgoing(1, first_name="<b>Jo</b> & co"))
    body = fake_sendgrid.accepted()[0].body
    values = body["personalizations"][0]["substitutions"]
    assert values[FIRST_NAME_HTML] == "&lt;b&gt;Jo&lt;/b&gt; &amp; co"
    assert values[FIRST_NAME_TEXT] == "<b>Jo</b> & co"
    html = personalise(body["content"][1]["value"], values)
    assert "Dear &lt;b&gt;Jo&lt;/b&gt; &amp; co," in html


def test_content_is_text_plain_then_html(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    sendgrid_transport.send_batch(transport_email, make_outgoing(1))
    content = fake_sendgrid.accepted()[0].body["content"]
    assert content == [
        {"type": "text/plain", "value": transport_email.text},
        {"type": "text/html", "value": transport_email.html},
    ]


def test_message_level_fields(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    sendgrid_transport.send_batch(
        transport_email, make_outgoing(1), custom_args={"campaign_id": "c42"}
    )
    body = fake_sendgrid.accepted()[0].body
    assert body["from"] == {"email": "research-news@example.org", "name": "Ribbon Research Trust"}
    assert body["reply_to"] == {"email": "supporters@example.org"}
    assert body["subject"] == "Research news: June"
    assert body["categories"] == ["2025-06-research-news"]
    assert body["custom_args"] == {"issue_id": "2025-06-research-news", "campaign_id": "c42"}
    assert body["tracking_settings"] == {
        "click_tracking": {"enable": False, "enable_text": False},
        "open_tracking": {"enable": False},
        "subscription_tracking": {"enable": False},
    }
    assert "mail_settings" not in body
    assert "asm" not in body


def test_click_tracking_mailto_and_asm_group_from_config(
    fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    transport = sendgrid_transport_for(
        fake_sendgrid, click_tracking=True, asm_group=77, unsubscribe_mailto="unsub@example.org"
    )
    transport.send_batch(transport_email, make_outgoing(1))
    body = fake_sendgrid.accepted()[0].body
    assert body["tracking_settings"]["click_tracking"]["enable"] is True
    assert body["asm"] == {"group_id": 77}
    header = body["personalizations"][0]["headers"]["List-Unsubscribe"]
    assert header == (
        "<https://news.example.org/u/tok0000000>, <mailto:unsub@example.org?subject=unsubscribe>"
    )


def test_test_send_is_marked(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    sendgrid_transport.send_batch(transport_email, make_outgoing(1), test=True)
    body = fake_sendgrid.accepted()[0].body
    assert body["subject"] == "[TEST] Research news: June"
    assert body["categories"] == ["2025-06-research-news", "test"]


def test_sandbox_send_is_answered_200_and_not_delivered(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    result = sendgrid_transport.send_batch(transport_email, make_outgoing(2), sandbox=True)
    assert (result.status, result.accepted) == (200, 2)
    assert fake_sendgrid.accepted() == []
    assert fake_sendgrid.received[0].body["mail_settings"] == {"sandbox_mode": {"enable": True}}


def test_names_with_commas_are_quoted(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    batch = [Outgoing("d1", "a@example.org", 'Smith, "Jo"', {"%%x%%": "y"}, "https://x.org/u/1")]
    sendgrid_transport.send_batch(transport_email, batch)
    to = fake_sendgrid.accepted()[0].body["personalizations"][0]["to"]
    assert to == [{"email": "a@example.org", "name": '"Smith, Jo"'}]


def test_oversized_substitutions_are_refused_before_sending(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    batch = make_outgoing(1, first_name="x" * 5000)
    with pytest.raises(Rejected, match="d0000000: substitutions are over SendGrid's 10,000"):
        sendgrid_transport.send_batch(transport_email, batch)
    assert fake_sendgrid.requests == 0


def test_long_non_ascii_names_under_the_limit_are_sent(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    sendgrid_transport.send_batch(transport_email, make_outgoing(1, first_name="é" * 2400))
    assert fake_sendgrid.accepted_delivery_ids() == ["d0000000"]


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        ("429", NotAccepted, "rate limit reached (HTTP 429)"),
        ("503", NotAccepted, "unavailable (HTTP 503)"),
        ("500", MaybeAccepted, "HTTP 500: the batch may or may not"),
        ("502", MaybeAccepted, "HTTP 502"),
        ("504", MaybeAccepted, "HTTP 504"),
        ("drop", MaybeAccepted, "RemoteDisconnected"),
        ("accept_then_drop", MaybeAccepted, "after the request was sent"),
        ("slow", MaybeAccepted, "TimeoutError"),
        ("refuse", NotAccepted, "could not reach SendGrid"),
        ("403", AuthFailed, "HTTP 403"),
    ],
)
def test_faults_are_classified(
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
    transport_email: Email,
    fault: str,
    error: type[Exception],
    message: str,
) -> None:
    plan = FaultPlan(script=(fault,), slow_seconds=2, refuse_seconds=2)
    server = fake_sendgrid_factory(plan=plan)
    transport = sendgrid_transport_for(server, timeout=0.3)
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        transport.send_batch(transport_email, make_outgoing(2))


def test_429_carries_the_wait_until_the_rate_limit_resets(
    fake_sendgrid_factory: Callable[..., FakeSendGrid], transport_email: Email
) -> None:
    server = fake_sendgrid_factory(plan=FaultPlan(script=("429",)))
    transport = sendgrid_transport_for(server, clock=lambda: 0.0)
    with pytest.raises(NotAccepted) as caught:
        transport.send_batch(transport_email, make_outgoing(1))
    reset = float(server.limits()["X-RateLimit-Reset"])
    assert caught.value.retry_after is not None
    assert reset - 2 <= caught.value.retry_after <= reset


def test_nothing_listening_is_not_accepted(transport_email: Email) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = SendGridTransport(
        SendGridConfig(api_key=TEST_API_KEY, host=f"http://127.0.0.1:{port}", timeout=2)
    )
    with pytest.raises(NotAccepted, match="Connection refused"):
        transport.send_batch(transport_email, make_outgoing(1))


def test_400_shows_sendgrids_messages(
    sendgrid_transport: SendGridTransport, transport_email: Email
) -> None:
    batch = [Outgoing("d1", "not-an-address", None, {"%%x%%": "y"}, "https://x.org/u/1")]
    with pytest.raises(Rejected) as caught:
        sendgrid_transport.send_batch(transport_email, batch)
    assert str(caught.value) == (
        "SendGrid rejected the request (HTTP 400): personalizations.0.to.0.email: "
        "data.personalizations[0].to[0].email must be email"
    )
    assert caught.value.messages == (
        "personalizations.0.to.0.email: data.personalizations[0].to[0].email must be email",
    )


def test_401_names_the_setting_not_the_key(
    fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    transport = SendGridTransport(
        SendGridConfig(api_key="SG.not-the-right-one", host=fake_sendgrid.url)
    )
    with pytest.raises(AuthFailed) as caught:
        transport.send_batch(transport_email, make_outgoing(1))
    assert str(caught.value) == (
        "SendGrid refused the API key (HTTP 401): check that SENDGRID_API_KEY holds a valid "
        "key with the Mail Send permission"
    )


@pytest.mark.parametrize("fault", ["ok", "500", "drop", "429"])
def test_api_key_never_reaches_logs_or_output(
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
    transport_email: Email,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    fault: str,
) -> None:
    server = fake_sendgrid_factory(plan=FaultPlan(script=(fault,)))
    transport = sendgrid_transport_for(server)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="python_http_client.client")  # re-enabled after set-up
    shown = [repr(transport), repr(transport.config)]
    try:
        transport.send_batch(transport_email, make_outgoing(2))
    except Exception as exc:
        shown += [str(exc), repr(exc)]
    captured = capsys.readouterr()
    everything = "\n".join([caplog.text, captured.out, captured.err, *shown])
    assert TEST_API_KEY not in everything
    assert "Bearer" not in everything


def test_missing_key_is_a_configuration_error() -> None:
    from mailer.errors import TransportConfigError

    with pytest.raises(TransportConfigError, match="SENDGRID_API_KEY is not set"):
        SendGridTransport(SendGridConfig(api_key=""))


def test_one_transport_serves_several_threads_at_once(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    batches = [make_outgoing(50, start=n * 50) for n in range(12)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(lambda b: sendgrid_transport.send_batch(transport_email, b), batches)
        )
    assert sum(result.accepted for result in results) == 600
    expected = {item.delivery_id for batch in batches for item in batch}
    accepted = fake_sendgrid.accepted_delivery_ids()
    assert len(accepted) == 600
    assert set(accepted) == expected


def test_the_encoded_body_reaches_the_server_byte_for_byte_as_json(
    sendgrid_transport: SendGridTransport, fake_sendgrid: FakeSendGrid, transport_email: Email
) -> None:
    batch = make_outgoing(3, first_name="Zoë “quoted”")
    sendgrid_transport.send_batch(transport_email, batch)
    expected = build_request_body(transport_email, batch, sendgrid_transport.config)
    assert fake_sendgrid.accepted()[0].body == expected  # not encoded twice, UTF-8 intact


def test_an_encoded_body_is_its_json_text_and_gives_back_its_bytes_uncopied() -> None:
    data = encode_body({"to": "zoë@example.org", "n": [1, 2]})
    body = EncodedBody(data)
    assert body == data.decode("utf-8")
    assert body.encode("utf-8") == data
    assert body.encode("utf-8") is body.encode()  # the same object every time: no copy
    assert body.encode("utf-16") == data.decode("utf-8").encode("utf-16")
    # how the library formats it for DEBUG (formatting bytes on purpose)
    shown = f"PAYLOAD: {body.encode('utf-8')}"  # type: ignore[str-bytes-safe]
    assert shown == f"PAYLOAD: <{len(data):,} bytes of JSON>"
    assert "example.org" not in repr(body.encode()) + str(body.encode())


def test_the_payload_never_reaches_a_debug_log(
    sendgrid_transport: SendGridTransport,
    transport_email: Email,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("python_http_client.client").filters.clear()  # as if someone turned it on
    logging.getLogger("python_http_client.client").setLevel(logging.DEBUG)
    try:
        sendgrid_transport.send_batch(transport_email, make_outgoing(2))
    finally:
        from mailer.transports.sendgrid import quiet_library_loggers

        quiet_library_loggers()
    assert "bytes of JSON" in caplog.text
    assert "@example" not in caplog.text
