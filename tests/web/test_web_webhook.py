"""POST /webhooks/sendgrid over HTTP, signed with keys the tests generate."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from mailer.events.webhook import (
    PUBLIC_KEY_ENV,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Effect,
    EventKind,
)
from mailer.settings import Project
from mailer.web import WebLimits, create_app
from mailer.web.webhook import MemoryRecorder
from tests.plugins.web import FIXED_NOW, MutableClock, Signer, make_event, make_payload

URL = "/webhooks/sendgrid"
Serve = Callable[[ASGIApp], httpx.Client]


def test_signed_batch_is_recorded(
    client: httpx.Client, signer: Signer, recorder: MemoryRecorder
) -> None:
    payload = make_payload([make_event("delivered", 0), make_event("bounce", 1, type="bounce")])
    response = client.post(URL, content=payload, headers=signer.headers(payload))
    assert response.status_code == 200
    assert response.json() == {"received": 2}
    assert [(e.kind, e.effect) for e in recorder.events] == [
        (EventKind.DELIVERED, Effect.COUNT),
        (EventKind.BOUNCE, Effect.BOUNCED),
    ]


def test_batch_of_a_thousand_events(
    client: httpx.Client, signer: Signer, recorder: MemoryRecorder
) -> None:
    payload = make_payload([make_event("open", i) for i in range(1000)])
    response = client.post(URL, content=payload, headers=signer.headers(payload))
    assert response.json() == {"received": 1000}
    assert len(recorder.events) == 1000


def test_replayed_batch_is_accepted_and_recorded_once(
    client: httpx.Client, signer: Signer, recorder: MemoryRecorder
) -> None:
    payload = make_payload([make_event("click", 5, url="https://www.example.org/")])
    for _ in range(2):
        assert client.post(URL, content=payload, headers=signer.headers(payload)).status_code == 200
    assert recorder.batches == 2
    assert len(recorder.events) == 1


def test_empty_batch_is_fine(client: httpx.Client, signer: Signer) -> None:
    payload = b"[]"
    response = client.post(URL, content=payload, headers=signer.headers(payload))
    assert response.json() == {"received": 0}


def _without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != name}


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda h, s: _without(h, SIGNATURE_HEADER), id="no-signature"),
        pytest.param(lambda h, s: _without(h, TIMESTAMP_HEADER), id="no-timestamp"),
        pytest.param(lambda h, s: {**h, SIGNATURE_HEADER: "bm9wZQ=="}, id="garbage-signature"),
        pytest.param(lambda h, s: {**h, SIGNATURE_HEADER: "%%%"}, id="not-base64"),
        pytest.param(lambda h, s: {**h, TIMESTAMP_HEADER: "yesterday"}, id="text-timestamp"),
        pytest.param(
            lambda h, s: {**h, TIMESTAMP_HEADER: str(int(h[TIMESTAMP_HEADER]) + 1)},
            id="timestamp-not-signed",
        ),
        pytest.param(
            lambda h, s: {**h, SIGNATURE_HEADER: Signer().sign(s, h[TIMESTAMP_HEADER])},
            id="another-key",
        ),
    ],
)
def test_forged_or_missing_signature_is_403(
    client: httpx.Client,
    signer: Signer,
    recorder: MemoryRecorder,
    forge: Callable[[dict[str, str], bytes], dict[str, str]],
) -> None:
    payload = make_payload([make_event("spamreport")])
    response = client.post(URL, content=payload, headers=forge(signer.headers(payload), payload))
    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"
    assert recorder.events == []


def test_tampered_body_is_403(
    client: httpx.Client, signer: Signer, recorder: MemoryRecorder
) -> None:
    payload = make_payload([make_event("delivered")])
    headers = signer.headers(payload)
    response = client.post(
        URL, content=payload.replace(b"delivered", b"spamreport"), headers=headers
    )
    assert response.status_code == 403
    assert recorder.events == []


@pytest.mark.parametrize("offset", [timedelta(minutes=-11), timedelta(minutes=11)])
def test_stale_or_future_timestamp_is_403(
    client: httpx.Client, signer: Signer, clock: MutableClock, offset: timedelta
) -> None:
    payload = make_payload([make_event()])
    headers = signer.headers(payload)  # signed at FIXED_NOW
    clock.now = FIXED_NOW + offset
    response = client.post(URL, content=payload, headers=headers)
    assert response.status_code == 403
    assert "replay window" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"event": "open"}', b"[1, 2]", b'[{"event": "open"}]', b"\xff"],
    ids=["not-json", "object", "numbers", "missing-fields", "not-utf8"],
)
def test_malformed_but_signed_body_is_400(
    client: httpx.Client, signer: Signer, recorder: MemoryRecorder, body: bytes
) -> None:
    response = client.post(URL, content=body, headers=signer.headers(body))
    assert response.status_code == 400
    assert recorder.events == []


def test_oversized_body_is_413(web_project: Project, signer: Signer, serve: Serve) -> None:
    app = create_app(
        web_project,
        recorder=MemoryRecorder(),
        environ={PUBLIC_KEY_ENV: signer.public_key},
        limits=WebLimits(webhook_bytes=2000),
    )
    payload = make_payload([make_event("open", i) for i in range(20)])
    response = serve(app).post(URL, content=payload, headers=signer.headers(payload))
    assert response.status_code == 413


def test_default_limit_takes_five_megabytes(client: httpx.Client, signer: Signer) -> None:
    payload = make_payload([make_event("open", 0, padding="x" * 4_900_000)])
    response = client.post(URL, content=payload, headers=signer.headers(payload))
    assert response.status_code == 200


def test_default_limit_refuses_six_megabytes(client: httpx.Client, signer: Signer) -> None:
    payload = make_payload([make_event("open", 0, padding="x" * 6_000_000)])
    response = client.post(URL, content=payload, headers=signer.headers(payload))
    assert response.status_code == 413


def test_get_is_not_allowed(client: httpx.Client) -> None:
    assert client.get(URL).status_code == 405


def _app(project: Project, **kwargs: Any) -> ASGIApp:
    return create_app(project, clock=MutableClock(FIXED_NOW), **kwargs)


def test_without_public_key_answers_503(web_project: Project, signer: Signer, serve: Serve) -> None:
    app = _app(web_project, recorder=MemoryRecorder(), environ={})
    payload = make_payload([make_event()])
    response = serve(app).post(URL, content=payload, headers=signer.headers(payload))
    assert response.status_code == 503
    assert PUBLIC_KEY_ENV not in response.text  # configuration stays private


def test_without_recorder_answers_503(web_project: Project, signer: Signer, serve: Serve) -> None:
    app = _app(web_project, environ={PUBLIC_KEY_ENV: signer.public_key})
    payload = make_payload([make_event()])
    response = serve(app).post(URL, content=payload, headers=signer.headers(payload))
    assert response.status_code == 503


def test_recorder_failure_is_a_500_without_details(
    web_project: Project, signer: Signer, serve: Serve
) -> None:
    def broken(events: object) -> None:
        raise RuntimeError("postgresql://user:s3cret@db/newsletter is down")

    app = _app(web_project, recorder=broken, environ={PUBLIC_KEY_ENV: signer.public_key})
    payload = make_payload([make_event()])
    response = serve(app).post(URL, content=payload, headers=signer.headers(payload))
    assert response.status_code == 500
    assert "s3cret" not in response.text
    assert json.loads(response.text)["error"] == "Something went wrong"


def test_invalid_public_key_refuses_to_build_the_app(web_project: Project) -> None:
    from mailer.errors import WebhookConfigError

    with pytest.raises(WebhookConfigError):
        create_app(web_project, environ={PUBLIC_KEY_ENV: "not a key"})
