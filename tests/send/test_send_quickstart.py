"""``newsletter quickstart``: the README's first command runs the whole main job on the defaults."""

from __future__ import annotations

import csv
import email
import shutil
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mailer.cli import cli
from tests.plugins.content import ROOT
from tests.plugins.sending import SAMPLE_ISSUE


@pytest.fixture
def quickstart_project(project_copy: Path, clean_env: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "examples", project_copy / "examples")
    return project_copy


def run_quickstart(project: Path) -> Result:
    return CliRunner().invoke(
        cli, ["--project", str(project), "quickstart"], env={"COLUMNS": "200", "NO_COLOR": "1"}
    )


def sample_people() -> list[dict[str, str]]:
    with (ROOT / "examples" / "subscribers.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_quickstart_writes_one_parseable_email_per_sample_supporter(
    quickstart_project: Path,
) -> None:
    result = run_quickstart(quickstart_project)
    assert result.exit_code == 0, result.output
    folder = quickstart_project / "outbox" / SAMPLE_ISSUE
    assert f"look in {folder}" in result.stdout
    assert "development-only key" in result.stdout
    files = sorted(folder.glob("*.eml"))
    people = sample_people()
    assert len(files) == len(people)
    messages = [
        email.message_from_bytes(path.read_bytes(), policy=policy.default) for path in files
    ]
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == sorted(
        p["email"] for p in people
    )
    for message in messages:
        assert isinstance(message, EmailMessage)
        assert message["Subject"].startswith("Research news:")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_body(("plain",)) is not None
        html = message.get_body(("html",))
        assert html is not None
        content = html.get_content()
        assert "%%" not in content  # every substitution filled in
        assert "https://news.example.org/u/" in content


def test_quickstart_twice_sends_nothing_more(quickstart_project: Path) -> None:
    assert run_quickstart(quickstart_project).exit_code == 0
    folder = quickstart_project / "outbox" / SAMPLE_ISSUE
    before = {path.name: path.stat().st_mtime_ns for path in folder.glob("*.eml")}
    again = run_quickstart(quickstart_project)
    assert again.exit_code == 0, again.output
    assert "was already sent: nobody is sent the same issue twice" in again.stdout
    assert f"0 added, {len(sample_people())} unchanged" in again.stdout
    after = {path.name: path.stat().st_mtime_ns for path in folder.glob("*.eml")}
    assert after == before
