"""The quick start and ``newsletter serve --dev-key`` agree: the links in its outbox work.

Real processes: ``newsletter quickstart`` into a throwaway project (no secret key, so it signs
with the development-only key), then ``newsletter serve --dev-key --port 0``; the links are read
from the ``.eml`` files with the stdlib parser and followed over HTTP. The server's own log
output is read to check that no token is ever written to it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from subscribers.db import get_engine
from subscribers.store import get_by_email
from tests.plugins.content import ROOT
from tests.plugins.supporters import links_in, read_eml
from tests.serving import NEWSLETTER

RUNNING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")
PREFIXES = ("NEWSLETTER_", "SENDGRID_", "SMTP_")
BASE_URL = "https://news.example.org"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any project setting (no key, no database URL, no transport)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
    env.update(extra, NO_COLOR="1", COLUMNS="100")
    return env


@dataclass
class Server:
    base_url: str
    output: Path  # stdout: uvicorn's access log
    errors: Path  # stderr: start-up lines

    def logged(self) -> str:
        return self.output.read_text() + self.errors.read_text()


@contextlib.contextmanager
def serving(root: Path, args: list[str], env: dict[str, str]) -> Iterator[Server]:
    """``newsletter serve --port 0 …`` writing its output to files; yields once it answers."""
    output, errors = root / "serve.out", root / "serve.err"
    with output.open("wb") as out, errors.open("wb") as err:
        process = subprocess.Popen(
            [str(NEWSLETTER), "--project", str(root), "serve", "--port", "0", *args],
            env=env,
            stdout=out,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 30
        while not (found := RUNNING.search(errors.read_text())):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"server did not start: {errors.read_text()}")
            time.sleep(0.05)
        yield Server(found.group(1), output, errors)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def quickstart_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("quickstart")
    shutil.copy(ROOT / "newsletter.yaml", root / "newsletter.yaml")
    for folder in ("templates", "newsletters", "examples"):
        shutil.copytree(ROOT / folder, root / folder)
    result = subprocess.run(
        [str(NEWSLETTER), "--project", str(root), "quickstart"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "development-only key" in result.stdout
    return root


def first_email(root: Path) -> EmailMessage:
    paths = sorted((root / "outbox").glob("*/*.eml"))
    assert paths, "the quick start wrote no .eml"
    return read_eml(paths[0])


def link_path(message: EmailMessage, marker: str) -> str:
    links = links_in(message, BASE_URL + marker)
    assert links, f"no {marker} link in the email"
    return links[0][len(BASE_URL) :]


def test_quickstart_links_work_against_serve_with_the_dev_key(quickstart_project: Path) -> None:
    message = first_email(quickstart_project)
    unsubscribe, preferences = link_path(message, "/u/"), link_path(message, "/p/")
    token = unsubscribe.split("/")[2]
    with (
        serving(quickstart_project, ["--dev-key"], clean_env()) as server,
        httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as http,
    ):
        page = http.get(unsubscribe)
        assert page.status_code == 200, page.text
        assert http.get(preferences).status_code == 200
        done = http.post(unsubscribe)  # the page's button: a plain form POST
        assert done.status_code == 200, done.text
    assert "development-only key" in server.errors.read_text()

    engine = get_engine(f"sqlite:///{quickstart_project / 'newsletter.db'}")
    try:
        address = str(message["To"].addresses[0].addr_spec)
        subscriber = get_by_email(engine, address)
    finally:
        engine.dispose()
    assert subscriber is not None
    assert subscriber.lists["research-news"] == "unsubscribed"

    # the access log recorded every request, and never a token
    log = server.logged()
    # (the unsubscribe link carries its campaign: ``?c=<id>``)
    assert re.search(r'"GET /u/\[redacted\](\?c=\d+)? HTTP/1.1" 200', log)
    assert re.search(r'"POST /u/\[redacted\](\?c=\d+)? HTTP/1.1" 200', log)
    assert '"GET /p/[redacted] HTTP/1.1" 200' in log
    assert token not in log
    assert preferences.split("/")[2] not in log


def test_newsletter_dev_key_variable_works_like_the_flag(quickstart_project: Path) -> None:
    preferences = link_path(first_email(quickstart_project), "/p/")
    with (
        serving(quickstart_project, [], clean_env(NEWSLETTER_DEV_KEY="1")) as server,
        httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as http,
    ):
        assert http.get(preferences).status_code == 200
        assert http.get("/confirm/not-a-real-token").status_code == 400
    log = server.logged()
    assert '"GET /confirm/[redacted] HTTP/1.1" 400' in log
    assert "not-a-real-token" not in log


def test_serve_without_a_key_refuses_to_start_in_one_line(quickstart_project: Path) -> None:
    result = subprocess.run(
        [str(NEWSLETTER), "--project", str(quickstart_project), "serve", "--port", "0"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: not starting: NEWSLETTER_SECRET_KEY is not set")
    assert "--dev-key" in lines[0]
