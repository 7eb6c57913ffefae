"""``newsletter serve`` behind a TLS proxy: forwarded headers are trusted only from the proxies
in ``FORWARDED_ALLOW_IPS`` (uvicorn's; 127.0.0.1 by default), as docs/operations.md says."""

from __future__ import annotations

import os

import httpx
import pytest

from mailer.events.webhook import PUBLIC_KEY_ENV
from mailer.settings import Project
from tests.serving import free_port, running_serve

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


@pytest.mark.parametrize(
    ("allowed", "secure"),
    [(None, True), ("192.0.2.10", False)],
)
def test_the_proxys_https_counts_only_from_a_trusted_proxy(
    web_project: Project, allowed: str | None, secure: bool
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in (PUBLIC_KEY_ENV, "FORWARDED_ALLOW_IPS")}
    env["NEWSLETTER_SECRET_KEY"] = "serve-test-secret-key-0123456789"
    if allowed is not None:
        env["FORWARDED_ALLOW_IPS"] = allowed
    with (
        running_serve(web_project.root, free_port(), env) as base_url,
        httpx.Client(base_url=base_url, trust_env=False) as http,
    ):
        form = http.get("/subscribe", headers=FORWARDED)
    assert form.status_code == 200
    # the CSRF cookie is Secure exactly when the request counts as https
    assert ("; secure" in form.headers["set-cookie"].lower()) is secure
