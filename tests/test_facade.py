"""The ``mailer`` façade: what a script imports, loaded lazily, and a due run without click."""

from __future__ import annotations

import ast
import contextlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

import mailer
from mailer.errors import MailerError
from subscribers.db import get_engine
from subscribers.tokens import TokenSigner
from tests.plugins.sending import BASE_URL, TEST_SECRET, add_people, write_issue

#: imported by the send, web and report paths only; never by ``import mailer`` (nor check/build)
HEAVY = ("sqlalchemy", "sendgrid", "rich", "starlette", "uvicorn", "psycopg", "cryptography")


def test_all_is_sorted_and_unique() -> None:
    assert mailer.__all__ == sorted(set(mailer.__all__))


@pytest.mark.parametrize("name", mailer.__all__)
def test_every_name_resolves_and_is_listed(name: str) -> None:
    assert getattr(mailer, name) is not None
    assert name in dir(mailer)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'send_everything'"):
        _ = mailer.send_everything


def test_the_lazy_map_and_the_type_checking_imports_agree() -> None:
    """mypy sees the ``TYPE_CHECKING`` imports; ``__getattr__`` follows ``_EXPORTS``."""
    tree = ast.parse(Path(mailer.__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    )
    imported = {
        (node.module, alias.name)
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    lazy: dict[str, tuple[str, ...]] = vars(mailer)["_EXPORTS"]
    exports = {(module, name) for module, names in lazy.items() for name in names}
    assert imported == exports
    assert {name for _, name in exports} == set(mailer.__all__)


def _modules_after(statement: str) -> list[str]:
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded


@pytest.mark.parametrize(
    ("statement", "heavy"),
    [
        ("import mailer", (*HEAVY, "pydantic", "yaml", "jinja2", "click", "mjml")),
        ("import mailer.config, mailer.clock, mailer.errors", (*HEAVY, "pydantic", "click")),
        ("import mailer.cli", HEAVY),
    ],
)
def test_importing_the_facade_imports_nothing_heavy(statement: str, heavy: tuple[str, ...]) -> None:
    loaded = _modules_after(statement)
    assert [m for m in loaded if m.split(".")[0] in heavy] == []


def test_a_name_loads_its_module_on_first_use() -> None:
    loaded = _modules_after("import mailer; mailer.send_due")
    assert "mailer.send.runs" in loaded
    assert "sqlalchemy" in loaded


# --- "send what is due" as a library call ---------------------------------------------------


class Watcher:
    """A ``SendObserver`` that writes down what it is told."""

    def __init__(self) -> None:
        self.decisions: dict[str, str] = {}
        self.refusals: list[str] = []
        self.finished: list[str] = []
        self.advanced: dict[str, int] = {}

    def decided(self, decision: mailer.DueDecision) -> None:
        self.decisions[decision.path] = f"{decision.action} ({decision.reason})"

    def refused(self, decision: mailer.DueDecision, error: MailerError) -> None:
        self.refusals.append(f"{decision.path}: {error}")

    def already_finished(self, campaign: mailer.Campaign) -> None:
        self.finished.append(campaign.issue_id)

    @contextlib.contextmanager
    def sending(self, campaign: mailer.Campaign, done: int) -> Iterator[Callable[[int], None]]:
        self.advanced[campaign.issue_id] = done

        def advance(count: int) -> None:
            self.advanced[campaign.issue_id] += count

        yield advance


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "newsletter.db"
    shutil.copyfile(sqlite_template, path)
    engine = get_engine(f"sqlite:///{path}", auto_migrate=False)
    yield engine
    engine.dispose()


def test_send_due_sends_what_is_due_without_the_cli(
    project_copy: Path, sqlite_engine: Engine, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    write_issue(project_copy, "2026-11-due", send_at=now - timedelta(hours=1))
    write_issue(project_copy, "2026-11-later", send_at=now + timedelta(hours=1))
    (project_copy / "newsletters" / "2026-11-broken.yaml").write_text("id: [", encoding="utf-8")
    add_people(sqlite_engine, 3)
    project = mailer.load_project(project_copy)
    config = mailer.Config.from_environ(
        {"NEWSLETTER_TRANSPORT": "outbox", "NEWSLETTER_OUTBOX_DIR": str(tmp_path / "out")}
    )
    transport = mailer.transport_from_config(config, project, interactive=False)
    links = mailer.RecipientLinks(TokenSigner([TEST_SECRET.encode()]), BASE_URL)
    watcher = Watcher()
    try:
        run = mailer.send_due(project, sqlite_engine, transport, links, observer=watcher)
        again = mailer.send_due(project, sqlite_engine, transport, links)
    finally:
        transport.close()

    assert [report.issue_id for report in run.reports] == ["2026-11-due"]
    (report,) = run.reports
    assert (report.status, report.sent_now, report.counts["accepted"]) == ("sent", 3, 3)
    assert watcher.decisions["newsletters/2026-11-due.yaml"] == "send (due)"
    assert watcher.decisions["newsletters/2026-11-later.yaml"].startswith("skip (due at")
    assert watcher.decisions["newsletters/2026-11-broken.yaml"].startswith("error")
    assert watcher.advanced == {"2026-11-due": 3}
    assert run.refused  # the broken file: the campaigns went well, the run did not
    assert run.outcome == mailer.Outcome.REFUSED
    assert len(list((tmp_path / "out" / "2026-11-due").glob("*.eml"))) == 3

    assert again.reports == ()
    assert [d.reason for d in again.decisions if d.issue_id == "2026-11-due"] == ["already sent"]


def test_send_issue_twice_sends_once(
    project_copy: Path, sqlite_engine: Engine, tmp_path: Path
) -> None:
    add_people(sqlite_engine, 2)
    project = mailer.load_project(project_copy)
    now = datetime.now(UTC)
    path = write_issue(project_copy, "2026-11-once", send_at=now - timedelta(hours=1))
    email = mailer.prepare_email(project, path, now=now)
    transport = mailer.transport_from_config(
        mailer.Config(outbox_dir=tmp_path / "out"), project, interactive=True
    )
    links = mailer.RecipientLinks(TokenSigner([TEST_SECRET.encode()]), BASE_URL)
    watcher = Watcher()
    try:
        first = mailer.send_issue(sqlite_engine, email, transport, links)
        second = mailer.send_issue(sqlite_engine, email, transport, links, observer=watcher)
    finally:
        transport.close()
    assert (first.sent_now, mailer.outcome_of([first])) == (2, mailer.Outcome.SENT)
    assert (second.status, second.sent_now, second.counts["accepted"]) == ("sent", 0, 2)
    assert watcher.finished == ["2026-11-once"]
