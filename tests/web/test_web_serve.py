"""``newsletter serve`` as a real subprocess on a free port."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from mailer.events.webhook import PUBLIC_KEY_ENV
from mailer.settings import Project
from tests.plugins.web import Signer, make_event, make_payload
from tests.serving import NEWSLETTER, free_port, running_serve


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != PUBLIC_KEY_ENV}
    # serve refuses to start without a key (or --dev-key)
    env.update({"NEWSLETTER_SECRET_KEY": "serve-test-secret-key-0123456789"}, **extra)
    env.update(NO_COLOR="1", COLUMNS="100")
    return env


@pytest.fixture
def served(web_project: Project, signer: Signer) -> Iterator[str]:
    env = _env(**{PUBLIC_KEY_ENV: signer.public_key})
    with running_serve(web_project.root, free_port(), env) as base_url:
        yield base_url


def test_serve_answers_health_and_pages(served: str) -> None:
    with httpx.Client(base_url=served, trust_env=False) as http:
        health = http.get("/healthz")
        home = http.get("/")
        image = http.get("/media/scan.png")
    assert health.json() == {"status": "ok"}
    assert "server" not in health.headers  # uvicorn does not announce itself
    assert "Ribbon Research Trust" in home.text
    assert image.headers["content-type"] == "image/png"


def test_serve_verifies_webhooks_with_the_key_from_the_environment(
    served: str, signer: Signer
) -> None:
    payload = make_payload([make_event()])
    with httpx.Client(base_url=served, trust_env=False) as http:
        forged = http.post("/webhooks/sendgrid", content=payload, headers=Signer().headers(payload))
        signed = http.post(
            "/webhooks/sendgrid",
            content=payload,
            headers=signer.headers(payload, when=_now()),
        )
    assert forged.status_code == 403
    assert signed.status_code == 200  # verified and recorded in the project's database


def _now() -> datetime:
    return datetime.now(UTC)


def test_serve_with_a_bad_public_key_fails_in_one_line(web_project: Project) -> None:
    result = subprocess.run(
        [str(NEWSLETTER), "--project", str(web_project.root), "serve", "--port", "1"],
        env=_env(**{PUBLIC_KEY_ENV: "not-a-key"}),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == f"error: {PUBLIC_KEY_ENV} is not a base64 DER public key\n"
