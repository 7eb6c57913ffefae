"""``newsletter staff add | list | disable | reset`` through the real CLI."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mailer.cli import cli
from mailer.web.staff.accounts import authenticate, get_staff
from subscribers.audit import list_entries
from subscribers.db import get_engine

Invoke = Callable[..., Result]
ROOT = Path(__file__).parents[3]
GOOD = "a long enough password"


@pytest.fixture
def run(tmp_path: Path, db_url: str) -> Invoke:
    shutil.copyfile(ROOT / "newsletter.yaml", tmp_path / "newsletter.yaml")
    env = {
        "COLUMNS": "120",
        "NO_COLOR": "1",
        "NEWSLETTER_DATABASE_URL": db_url,
        "NEWSLETTER_SECRET_KEY": "",
        "NEWSLETTER_DEV_KEY": "",
        "USER": "alice",
    }

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--project", str(tmp_path), *args], env=env, input=input)

    return invoke


def test_add_asks_for_the_password_twice_and_lists_the_account(run: Invoke) -> None:
    added = run(
        "staff", "add", "Ada@Example.org", "--name", "Ada", "--role", "admin", input=f"{GOOD}\n" * 2
    )
    assert added.exit_code == 0, added.output
    assert "added ada@example.org (admin)" in added.output
    listed = json.loads(run("staff", "list", "--json").stdout)
    assert [(a["email"], a["name"], a["role"], a["active"]) for a in listed] == [
        ("ada@example.org", "Ada", "admin", True)
    ]
    table = run("staff", "list").stdout
    assert "ada@example.org" in table
    assert "never" in table  # not signed in yet, rather than "None"


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--role", "admin"], "short", "error: the password must be at least 12 characters"),
        (["--role", "boss"], GOOD, "Invalid value for '--role'"),
        (["--role", "admin", "--name", " "], GOOD, "error: a name is needed"),
    ],
)
def test_add_refuses_bad_input_in_one_line(
    run: Invoke, args: list[str], password: str, message: str
) -> None:
    full = ["--name", "Ada", *args] if "--name" not in args else args
    result = run("staff", "add", "ada@example.org", *full, "--password-stdin", input=password)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_add_refuses_an_address_already_added(run: Invoke) -> None:
    args = ("staff", "add", "ada@example.org", "--name", "Ada", "--role", "editor")
    run(*args, "--password-stdin", input=GOOD)
    again = run(*args, "--password-stdin", input=GOOD)
    assert again.exit_code == 1
    assert "error: there is already a staff account for ada@example.org" in again.output


def test_disable_and_reset_are_audited_under_the_os_user(run: Invoke, db_url: str) -> None:
    run(
        "staff",
        "add",
        "ada@example.org",
        "--name",
        "Ada",
        "--role",
        "editor",
        "--password-stdin",
        input=GOOD,
    )
    assert run("staff", "disable", "ada@example.org").exit_code == 0
    engine = get_engine(db_url)
    try:
        found = get_staff(engine, "ada@example.org")
        assert found is not None
        assert not found.active
        reset = run(
            "staff", "reset", "ada@example.org", "--password-stdin", input="another good one"
        )
        assert reset.exit_code == 0, reset.output
        from datetime import UTC, datetime

        assert authenticate(
            engine, "ada@example.org", "another good one", ip="1.2.3.4", now=datetime.now(UTC)
        ).active
        entries = [(e.who, e.action) for e in list_entries(engine)][:3]
        assert entries == [
            ("os:alice", "staff.reset"),
            ("os:alice", "staff.disable"),
            ("os:alice", "staff.add"),
        ]
    finally:
        engine.dispose()


def test_disable_of_an_unknown_account_is_one_line(run: Invoke) -> None:
    result = run("staff", "disable", "nobody@example.org")
    assert result.exit_code == 1
    assert result.output.strip() == (
        "error: no staff account for nobody@example.org; `newsletter staff list`"
    )


def test_console_refuses_to_start_without_a_secret_key(run: Invoke) -> None:
    result = run("console", "--port", "0")
    assert result.exit_code == 1
    assert result.output.startswith("error: not starting: ")
