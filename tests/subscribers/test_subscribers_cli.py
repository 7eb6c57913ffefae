from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from mailer.cli import cli
from mailer.cli.subscribers import subscribers as subscribers_group

Invoke = Callable[..., Result]  # `run(*args, env_extra=..., input=...)`: the CLI's result

ROOT = Path(__file__).parents[2]
DATA = Path(__file__).parents[1] / "data" / "subscribers"
KEY = "test-secret-key-0123456789abcdef"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copyfile(ROOT / "newsletter.yaml", tmp_path / "newsletter.yaml")
    for name in ("good.csv", "invalid_addresses.csv", "latin1.csv"):
        shutil.copyfile(DATA / name, tmp_path / name)
    return tmp_path


@pytest.fixture
def run(project: Path, db_url: str) -> Invoke:
    env = {
        "COLUMNS": "120",
        "NO_COLOR": "1",
        "NEWSLETTER_DATABASE_URL": db_url,
        "NEWSLETTER_SECRET_KEY": KEY,
        "NEWSLETTER_SECRET_KEY_PREVIOUS": "",
        "NEWSLETTER_DEV_KEY": "",
        "USER": "alice",
        "LOGNAME": "alice",
    }

    def invoke(
        *args: str, env_extra: dict[str, str] | None = None, input: str | None = None
    ) -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli, ["--project", str(project), *args], env={**env, **(env_extra or {})}, input=input
        )

    return invoke


def test_import_prints_a_summary_table(run: Invoke, project: Path) -> None:
    result = run("subscribers", "import", str(project / "good.csv"), "--list", "research-news")
    assert result.exit_code == 0, result.output
    assert "│ added      │ 3    │" in result.stdout
    assert "│ rejected   │ 0    │" in result.stdout


def test_import_with_rejects_exits_0_and_lists_them(run: Invoke, project: Path) -> None:
    path = str(project / "invalid_addresses.csv")
    result = run("subscribers", "import", path, "--list", "research-news", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["added"], summary["rejected"]) == (1, 3)
    assert summary["rejects_path"] == str(project / "invalid_addresses.rejects.csv")
    assert [r["line"] for r in summary["sample_rejects"]] == [3, 4, 5]


def test_import_rejects_option_chooses_the_file(run: Invoke, project: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "bad.csv"
    target.parent.mkdir()
    path = str(project / "invalid_addresses.csv")
    result = run("subscribers", "import", path, "--list", "research-news", "--rejects", str(target))
    assert result.exit_code == 0
    assert f"written to {target}" in result.stdout
    assert target.read_text(encoding="utf-8").startswith("line,reason,email")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "good.csv", "--list", "nope"], "error: unknown list 'nope'"),
        (["import", "latin1.csv", "--list", "research-news"], "not UTF-8"),
        (["import", "good.csv", "--list", "research-news", "--interests", "x"], "unknown interest"),
        (["show", "nobody@example.org"], "error: no subscriber 'nobody@example.org'"),
        (["add", "not-an-address", "--list", "research-news"], "error: 'not-an-address'"),
    ],
)
def test_user_errors_are_one_line_and_exit_1(
    run: Invoke, project: Path, args: list[str], message: str
) -> None:
    args = [str(project / a) if a.endswith(".csv") else a for a in args]
    result = run("subscribers", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_missing_secret_key_is_refused_unless_dev_key(run: Invoke, project: Path) -> None:
    args = ("add", "ann@example.org", "--list", "research-news")
    refused = run("subscribers", *args, env_extra={"NEWSLETTER_SECRET_KEY": ""})
    assert refused.exit_code == 1
    assert "NEWSLETTER_SECRET_KEY is not set" in refused.stderr
    allowed = run("subscribers", "--dev-key", *args, env_extra={"NEWSLETTER_SECRET_KEY": ""})
    assert allowed.exit_code == 0, allowed.output


def test_add_show_unsubscribe(run: Invoke) -> None:
    added = run("subscribers", "add", "Ann@Example.org", "--list", "appeals", "--first-name", "Ann")
    assert added.stdout == "added Ann@example.org to appeals (active)\n"
    shown = json.loads(run("subscribers", "show", "ann@example.org", "--json").stdout)
    assert (shown["first_name"], shown["lists"]) == ("Ann", {"appeals": "active"})
    gone = run("subscribers", "unsubscribe", "ann@example.org")
    assert gone.stdout == "unsubscribed ann@example.org from every list\n"
    again = run("subscribers", "add", "ann@example.org", "--list", "appeals")
    assert again.exit_code == 1
    assert "--reopt-in" in again.stderr


def test_forget_asks_first_and_erases(run: Invoke) -> None:
    run("subscribers", "add", "ann@example.org", "--list", "appeals")
    declined = run("subscribers", "forget", "ann@example.org", input="n\n")
    assert declined.exit_code == 1
    erased = run("subscribers", "forget", "ann@example.org", "--yes")
    assert erased.stdout == "erased ann@example.org\n"
    assert run("subscribers", "show", "ann@example.org").exit_code == 1


def test_export_and_export_data(run: Invoke, project: Path) -> None:
    run("subscribers", "import", str(project / "good.csv"), "--list", "research-news")
    exported = run("subscribers", "export", "--list", "research-news", "--status", "active")
    assert exported.stdout.splitlines()[0] == (
        "email,first_name,last_name,status,lists,interests,created_at"
    )
    assert len(exported.stdout.splitlines()) == 4
    data = json.loads(run("subscribers", "export-data", "ann@example.org").stdout)
    assert data["subscriber"]["consents"][0]["source"] == "import"


def test_stats_table(run: Invoke, project: Path) -> None:
    run("subscribers", "import", str(project / "good.csv"), "--list", "research-news")
    result = run("subscribers", "stats")
    assert "│ research-news │ 0       │ 3      │ 0            │" in result.stdout
    assert json.loads(run("subscribers", "stats", "--json").stdout)["by_status"] == {"active": 3}


def test_audit_names_the_os_user(run: Invoke, project: Path) -> None:
    run("subscribers", "import", str(project / "good.csv"), "--list", "research-news")
    entries = json.loads(run("subscribers", "audit", "--json").stdout)
    assert (entries[0]["who"], entries[0]["action"], entries[0]["count"]) == (
        "os:alice",
        "import",
        3,
    )
    assert "os:alice" in run("subscribers", "audit").stdout


def test_db_upgrade_reports_the_revision(run: Invoke) -> None:
    result = run("db", "upgrade")
    assert result.exit_code == 0
    assert result.stdout.strip().endswith("is at revision 0001") or "revision 0" in result.stdout


@pytest.mark.parametrize("name", sorted(subscribers_group.commands))
def test_every_subscribers_command_has_help(name: str) -> None:
    command = subscribers_group.commands[name]
    assert command.help, name
    result = CliRunner().invoke(cli, ["subscribers", name, "--help"])
    assert result.exit_code == 0
    assert isinstance(command, click.Command)
