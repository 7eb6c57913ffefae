"""``newsletter serve`` as a real subprocess on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from mailer.events import PUBLIC_KEY_ENV
from mailer.settings import Project
from tests.plugins.web import Signer, make_event, make_payload

NEWSLETTER = Path(sys.executable).with_name("newsletter")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != PUBLIC_KEY_ENV}
    env.update(extra, NO_COLOR="1", COLUMNS="100")
    return env


@pytest.fixture
def served(web_project: Project, signer: Signer) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [str(NEWSLETTER), "--project", str(web_project.root), "serve", "--port", str(port)],
        env=_env(**{PUBLIC_KEY_ENV: signer.public_key}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        with httpx.Client(base_url=base_url, trust_env=False, timeout=2) as http:
            while True:
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"server did not start: {process.stderr.read()!r}")  # type: ignore[union-attr]
                time.sleep(0.05)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


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
