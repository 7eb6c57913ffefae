"""Message codes: each has a long form (`check --explain`) and a place in the docs."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from mailer.cli import cli
from mailer.content import codes
from mailer.content.codes import EXPLANATIONS
from tests.plugins.content import ROOT

DOC = ROOT / "docs" / "writing-an-issue.md"
CODES = sorted(
    value for name, value in vars(codes).items() if name.isupper() and isinstance(value, str)
)


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")
    return CliRunner()


def test_every_code_has_an_explanation() -> None:
    assert len(CODES) >= 20
    assert sorted(EXPLANATIONS) == CODES
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", code) for code in CODES)
    assert all("Fix:" in text or code == codes.SEND_AT_UTC for code, text in EXPLANATIONS.items())


def test_every_code_is_in_the_common_mistakes_section() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Common mistakes", 1)[1].split("\n## ", 1)[0]
    headings = re.findall(r"^### `([a-z-]+)`$", section, flags=re.MULTILINE)
    assert sorted(headings) == CODES


@pytest.mark.parametrize("code", CODES)
def test_explain_prints_the_long_form(run: CliRunner, code: str) -> None:
    result = run.invoke(cli, ["check", "--explain", code])
    assert result.exit_code == 0
    assert result.output == f"{code}\n\n{EXPLANATIONS[code]}\n"


def test_explain_an_unknown_code_is_one_line_and_exit_1(run: CliRunner) -> None:
    result = run.invoke(cli, ["check", "--explain", "yaml-nonsense"])
    assert result.exit_code == 1
    assert result.output.startswith("error: no message has the code 'yaml-nonsense'; codes: ")
    assert result.output.count("\n") == 1


def test_check_shows_the_line_with_a_caret_under_the_spot(run: CliRunner) -> None:
    path = ROOT / "tests" / "data" / "mistakes" / "tab-indent.yaml"
    result = run.invoke(cli, ["--project", str(ROOT), "check", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        "tests/data/mistakes/tab-indent.yaml:9:1: this line is indented with a tab; YAML needs "
        "spaces: replace the tab with spaces [yaml-tab]\n"
        "    \ttitle: Old drugs\n"
        "    ^\n"
        "1 file checked: 1 error, 0 warnings\n"
    )
