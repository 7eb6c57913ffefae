"""`newsletter check`, `build` and `schema`: exit codes and the exact text people see."""

from __future__ import annotations

import email
import json
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mailer.cli import cli
from tests.plugins.content import ISSUE_DATA, ROOT


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")
    return CliRunner()


def test_check_samples_is_clean(run: CliRunner) -> None:
    result = run.invoke(cli, ["--project", str(ROOT), "check"])
    assert result.exit_code == 0, result.output
    assert result.output == "2 files checked: 0 errors, 0 warnings\n"


def test_check_bad_file_prints_each_problem_and_exits_1(run: CliRunner) -> None:
    path = ISSUE_DATA / "bad-unknown-field.yaml"
    result = run.invoke(cli, ["--project", str(ROOT), "check", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        "tests/data/issues/bad-unknown-field.yaml:8:5: stories[0].summary: "
        "required field is missing [missing-field]\n"
        "      - kind: news\n"
        "        ^\n"
        "tests/data/issues/bad-unknown-field.yaml:10:5: stories[0].sumary: "
        "unknown field (did you mean 'summary'?) [unknown-field]\n"
        "        sumary: Some words.\n"
        "        ^\n"
        "1 file checked: 2 errors, 0 warnings\n"
    )


def test_check_warnings_alone_exit_0(run: CliRunner) -> None:
    result = run.invoke(cli, ["--project", str(ROOT), "check", str(ISSUE_DATA / "warn-style.yaml")])
    assert result.exit_code == 0
    assert "warning: subject:" in result.output
    assert result.output.endswith("1 file checked: 0 errors, 3 warnings\n")


def test_check_json_is_machine_readable(run: CliRunner) -> None:
    path = ISSUE_DATA / "bad-tag.yaml"
    result = run.invoke(cli, ["--project", str(ROOT), "check", "--json", str(path)])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False
    assert data["errors"] == 1
    problem = data["files"][0]["problems"][0]
    assert problem == {
        "path": "tests/data/issues/bad-tag.yaml",
        "line": 11,
        "column": 23,
        "field": "stories[0].tags[1]",
        "message": "tag 'gardening' is not an allowed interest; expected one of fundraising, "
        "lobular, prevention, secondary, treatment, trials",
        "severity": "error",
        "code": "unknown-interest",
        "source_line": "    tags: [secondary, gardening]",
    }


def test_check_outside_a_project_says_so_in_one_line(run: CliRunner, tmp_path: Path) -> None:
    result = run.invoke(cli, ["--project", str(tmp_path), "check"])
    assert result.exit_code == 1
    assert "no settings file" in result.output
    assert "Traceback" not in result.output


def test_build_writes_html_text_mjml_and_eml(run: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run.invoke(
        cli, ["--project", str(ROOT), "build", "2026-12-secondary-research", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"2026-12-secondary-research.{s}" for s in ("eml", "html", "mjml", "txt")]
    assert f"wrote {out}/2026-12-secondary-research.html" in result.output


def test_built_eml_is_a_multipart_message_with_text_then_html(
    run: CliRunner, tmp_path: Path
) -> None:
    run.invoke(
        cli, ["--project", str(ROOT), "build", "2026-12-winter-appeal", "--out", str(tmp_path)]
    )
    message: Message = email.message_from_bytes(
        (tmp_path / "2026-12-winter-appeal.eml").read_bytes()
    )
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.walk() if not part.is_multipart()]
    assert parts == ["text/plain", "text/html"]
    assert message["Subject"] == "Help us find treatments that stop breast cancer spreading"
    assert message["List-Unsubscribe"].startswith("<https://news.example.org/u/u1.")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.get_payload()[1].get_payload(decode=True).decode()  # type: ignore[index,union-attr]
    assert "Dear Sam," in html
    assert "%%" not in html


def test_build_refuses_an_issue_with_errors_and_writes_nothing(
    run: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    path = ISSUE_DATA / "bad-missing-image.yaml"
    result = run.invoke(cli, ["--project", str(ROOT), "build", str(path), "--out", str(out)])
    assert result.exit_code == 1
    assert "no such image: newsletters/images/not-there.png" in result.output
    assert "\n          src: not-there.png\n          ^\n" in result.output  # line and caret
    assert "has errors; nothing was written" in result.output
    assert not out.exists()


def test_schema_prints_the_issue_json_schema(run: CliRunner) -> None:
    result = run.invoke(cli, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["additionalProperties"] is False
    assert "stories" in schema["required"]
    assert "id" not in schema["required"]
    assert "source" not in schema["properties"]


def test_committed_schema_file_is_up_to_date(run: CliRunner) -> None:
    result = run.invoke(cli, ["schema"])
    committed = (ROOT / "schema" / "issue.schema.json").read_text(encoding="utf-8")
    assert committed == result.output, "run `newsletter schema --out schema/issue.schema.json`"


def test_samples_point_editors_at_the_schema() -> None:
    for path in (ROOT / "newsletters").glob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schema/issue.schema.json"


def _properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [(f"Issue.{name}", prop) for name, prop in schema["properties"].items()]
    for model, definition in schema["$defs"].items():
        found += [(f"{model}.{name}", prop) for name, prop in definition["properties"].items()]
    return found


def test_every_schema_property_has_a_description_and_an_example(run: CliRunner) -> None:
    schema = json.loads(run.invoke(cli, ["schema"]).output)
    properties = _properties(schema)
    assert len(properties) > 30
    undocumented = [name for name, prop in properties if not prop.get("description")]
    no_example = [name for name, prop in properties if not prop.get("examples")]
    assert undocumented == []
    assert no_example == []


def test_every_schema_example_is_valid_for_its_property(run: CliRunner) -> None:
    import fastjsonschema

    schema = json.loads(run.invoke(cli, ["schema"]).output)
    invalid = []
    for name, prop in _properties(schema):
        validate = fastjsonschema.compile({"$defs": schema["$defs"], **prop})
        try:
            validate(prop["examples"][0])
        except fastjsonschema.JsonSchemaValueException as exc:
            invalid.append(f"{name}: {exc.message}")
    assert invalid == []
