"""Fixtures for the event webhook and the web app: signing keys, signed requests, apps."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import Browser, Page, sync_playwright
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from mailer.events.webhook import PUBLIC_KEY_ENV, SIGNATURE_HEADER, TIMESTAMP_HEADER
from mailer.settings import Project, load_project
from mailer.web import WebLimits, create_app
from mailer.web.webhook import MemoryRecorder

REPO = Path(__file__).resolve().parents[2]
WEBHOOK_DATA = REPO / "tests" / "data" / "webhook"
FIXED_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Signer:
    """A P-256 key pair that signs bodies the way SendGrid does."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    @property
    def public_key(self) -> str:
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode("ascii")

    def sign(self, payload: bytes, timestamp: str) -> str:
        der = self.private_key.sign(timestamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(der).decode("ascii")

    def headers(self, payload: bytes, when: datetime = FIXED_NOW) -> dict[str, str]:
        timestamp = str(int(when.timestamp()))
        return {
            SIGNATURE_HEADER: self.sign(payload, timestamp),
            TIMESTAMP_HEADER: timestamp,
            "Content-Type": "application/json",
        }


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer()


@pytest.fixture(scope="session")
def official_vectors() -> dict[str, object]:
    data: dict[str, object] = json.loads((WEBHOOK_DATA / "official_vectors.json").read_text())
    return data


def make_event(event: str = "delivered", index: int = 0, **extra: object) -> dict[str, object]:
    """One SendGrid-shaped event with custom args, as the sender attaches them."""
    body: dict[str, object] = {
        "email": f"person{index}@example.com",
        "event": event,
        "timestamp": int(FIXED_NOW.timestamp()) - 60,
        "sg_event_id": f"evt-{event}-{index}",
        "sg_message_id": f"msg-{index}.filter0001",
        "delivery_id": str(1000 + index),
        "campaign_id": "7",
        "issue_id": "2026-03-research-news",
    }
    body.update(extra)
    return body


def make_payload(events: list[dict[str, object]]) -> bytes:
    """A body as SendGrid sends it: compact JSON and a trailing CRLF."""
    return json.dumps(events, separators=(",", ":")).encode() + b"\r\n"


@pytest.fixture
def fixed_now() -> datetime:
    return FIXED_NOW


# --- a project and an app for the web tests ------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24  # enough for a content check; not decoded


@pytest.fixture
def web_project(tmp_path: Path) -> Project:
    """A project in tmp_path: the real settings and web templates, test images and traps.

    ``outside/`` sits next to ``newsletters/images/`` and holds a secret that must never be
    served; ``images/`` has symlinks pointing out of it and one pointing inside.
    """
    root = tmp_path / "project"
    images = root / "newsletters" / "images"
    (images / "2026").mkdir(parents=True)
    shutil.copy(REPO / "newsletter.yaml", root / "newsletter.yaml")
    (root / "templates").mkdir()
    (root / "templates" / "web").symlink_to(REPO / "templates" / "web")
    (images / "scan.png").write_bytes(PNG)
    (images / "2026" / "lab.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    (images / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (images / "notes.txt").write_text("not an image")
    (images / ".hidden.png").write_bytes(PNG)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"SECRET")
    (images / "escape.png").symlink_to(outside / "secret.png")
    (images / "outdir").symlink_to(outside, target_is_directory=True)
    (images / "alias.png").symlink_to(images / "scan.png")
    (root / "newsletters" / "secret.png").write_bytes(b"SECRET")
    return load_project(root)


@pytest.fixture
def recorder() -> MemoryRecorder:
    return MemoryRecorder()


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock(FIXED_NOW)


@dataclass
class MutableClock:
    """A clock the test sets; the app reads it on each request."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def web_app(
    web_project: Project, signer: Signer, recorder: MemoryRecorder, clock: MutableClock
) -> Starlette:
    return create_app(
        web_project,
        clock=clock,
        recorder=recorder,
        environ={PUBLIC_KEY_ENV: signer.public_key},
        limits=WebLimits(webhook_bytes=5 * 1024 * 1024, form_bytes=64 * 1024),
    )


class AppSwitch:
    """An ASGI app that hands each request to whichever app the current test mounted."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise RuntimeError("no app mounted on the test server")
        await self.app(scope, receive, send)


@dataclass(frozen=True)
class LiveServer:
    switch: AppSwitch
    base_url: str


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """One real uvicorn server on a free 127.0.0.1 port per test session (per xdist worker)."""
    switch = AppSwitch()
    config = uvicorn.Config(switch, host="127.0.0.1", port=0, log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not (server.started and server.servers):
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveServer(switch, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# Plain-HTTP clients never use TLS, but httpx builds a context per client (~35 ms): share one.
_TLS = ssl.create_default_context()


@pytest.fixture
def serve(live_server: LiveServer) -> Iterator[Callable[[ASGIApp], httpx.Client]]:
    """Mount an app on the live server; returns an httpx client for it (closed afterwards)."""
    clients: list[httpx.Client] = []

    def mount(app: ASGIApp) -> httpx.Client:
        live_server.switch.app = app
        http = httpx.Client(base_url=live_server.base_url, trust_env=False, timeout=10, verify=_TLS)
        clients.append(http)
        return http

    try:
        yield mount
    finally:
        for http in clients:
            http.close()
        live_server.switch.app = None


@pytest.fixture
def client(web_app: Starlette, serve: Callable[[ASGIApp], httpx.Client]) -> httpx.Client:
    """An httpx client talking real HTTP to ``web_app``."""
    return serve(web_app)


def raw_get(base_url: str, raw_path: str) -> tuple[int, bytes]:
    """GET a path exactly as written (no client-side ``..`` normalisation)."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        request = f"GET {raw_path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode("latin-1"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    status = int(response.split(b" ", 2)[1])
    return status, response.partition(b"\r\n\r\n")[2]


@pytest.fixture
def preview_project(tmp_path: Path) -> Project:
    """A copy of the sample issues and their images, the real templates and one broken issue."""
    root = tmp_path / "preview"
    root.mkdir()
    shutil.copy(REPO / "newsletter.yaml", root / "newsletter.yaml")
    shutil.copytree(REPO / "newsletters", root / "newsletters")
    (root / "templates").symlink_to(REPO / "templates", target_is_directory=True)
    (root / "newsletters" / "zz-broken.yaml").write_text("id: zz-broken\nstatus: sent\n")
    return load_project(root)


# --- headless Chromium (Debian's package) ----------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium per test session, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def save_screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
