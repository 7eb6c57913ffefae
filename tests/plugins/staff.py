"""Fixtures for the staff console: a project, the app on a real database, signed-in clients."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.types import ASGIApp

from mailer.settings import Project, load_project
from mailer.web import create_app
from mailer.web.staff import accounts
from mailer.web.staff.accounts import StaffAccount, add_staff

REPO = Path(__file__).resolve().parents[2]
STAFF_SECRET = "test-secret-key-for-the-staff-console"
PASSWORD = "correct horse battery"


def staff_csrf(page: str) -> str:
    node = HTMLParser(page).css_first("input[name=csrf_token]")
    assert node is not None, "no CSRF field on the page"
    return str(node.attributes["value"])


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id, with its cheapest parameters: each hash costs microseconds, not 50 ms."""
    monkeypatch.setattr(accounts, "hasher", PasswordHasher.from_parameters(CHEAPEST))


@pytest.fixture
def staff_project(tmp_path: Path) -> Project:
    """The sample issues, the real templates, and a plain-http base URL (cookies not Secure)."""
    root = tmp_path / "staff-project"
    root.mkdir()
    settings = (REPO / "newsletter.yaml").read_text()
    (root / "newsletter.yaml").write_text(
        settings.replace("base_url: https://news.example.org", "base_url: http://news.example.org")
    )
    shutil.copytree(REPO / "newsletters", root / "newsletters")
    (root / "templates").symlink_to(REPO / "templates", target_is_directory=True)
    return load_project(root)


@pytest.fixture
def staff_env(tmp_path: Path) -> dict[str, str]:
    return {
        "NEWSLETTER_SECRET_KEY": STAFF_SECRET,
        "NEWSLETTER_TRANSPORT": "outbox",
        "NEWSLETTER_OUTBOX_DIR": str(tmp_path / "outbox"),
    }


@dataclass
class Console:
    """The app under test over real HTTP; ``client(email)`` is a browser signed in as them."""

    app: Starlette
    engine: Engine
    clock: Any  # tests.plugins.web.MutableClock
    outbox: Path
    project: Project
    new_client: Callable[[], httpx.Client]
    accounts: dict[str, StaffAccount] = field(default_factory=dict)

    def add(self, email: str, role: str, name: str | None = None) -> StaffAccount:
        account = add_staff(
            self.engine,
            email,
            name=name or email.split("@")[0].title(),
            role=role,
            password=PASSWORD,
            now=self.clock(),
        )
        self.accounts[email] = account
        return account

    def login(self, http: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
        form = http.get("/staff/login")
        return http.post(
            "/staff/login",
            data={"csrf_token": staff_csrf(form.text), "email": email, "password": password},
        )

    def client(self, email: str, role: str = "admin") -> httpx.Client:
        """A new client signed in as ``email`` (added with ``role`` when new)."""
        if email not in self.accounts:
            self.add(email, role)
        http = self.new_client()
        answer = self.login(http, email)
        assert answer.status_code == 303, answer.text
        return http

    def post(self, http: httpx.Client, page: str, action: str, **data: str) -> httpx.Response:
        """Submit a console form: the CSRF token comes from ``page`` as a person's would."""
        token = staff_csrf(http.get(page).text)
        return http.post(action, data={"csrf_token": token, **data})


@pytest.fixture
def console(
    staff_project: Project,
    engine: Engine,
    db_url: str,
    clock: Any,
    staff_env: dict[str, str],
    serve: Callable[[ASGIApp], httpx.Client],
) -> Iterator[Console]:
    app = create_app(staff_project, engine_url=db_url, clock=clock, environ=staff_env)
    serve(app)  # mount it
    try:
        yield Console(
            app=app,
            engine=engine,
            clock=clock,
            outbox=Path(staff_env["NEWSLETTER_OUTBOX_DIR"]),
            project=staff_project,
            new_client=lambda: serve(app),
        )
    finally:
        app.state.supporters.close()
