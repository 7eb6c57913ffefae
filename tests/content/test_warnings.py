"""Warnings and errors that stop silent mistakes: an issue never sent, text printed as typed,
two issues with one id, an embargo too close to send_at."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailer.errors import Problem
from mailer.render.check import check_paths
from mailer.settings import load_project
from tests.plugins.content import ISSUE_DATA

MINIMAL = (ISSUE_DATA / "good-minimal.yaml").read_text(encoding="utf-8")
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def check_text(project_copy: Path, text: str, name: str = "issue.yaml") -> list[Problem]:
    path = project_copy / "newsletters" / name
    path.write_text(text, encoding="utf-8")
    report = check_paths([path], load_project(project_copy), now=NOW)
    return list(report.problems)


def coded(problems: list[Problem], code: str) -> list[Problem]:
    return [p for p in problems if p.code == code]


def test_ready_without_send_at_warns_that_nothing_will_send_it(project_copy: Path) -> None:
    problems = check_text(project_copy, MINIMAL.replace("status: draft", "status: ready"))
    (warning,) = coded(problems, "ready-without-send-at")
    assert warning.severity == "warning"
    assert (warning.line, warning.field) == (1, "status")
    assert "no scheduled run will ever send it" in warning.message


def test_ready_with_send_at_does_not_warn(project_copy: Path) -> None:
    text = MINIMAL.replace("status: draft", "status: ready\nsend_at: 2026-12-01T09:00:00Z")
    assert not coded(check_text(project_copy, text), "ready-without-send-at")


PRINTED = [
    ("subject: A minimal issue", "subject: Hello %%first_name%%", "subject", "%%first_name%%"),
    ("title: One story", "title: A <b>bold</b> result", "stories[0].title", "<b>"),
    ("preheader: Just one story.", "preheader: Fish &amp; chips", "preheader", "&amp;"),
    (
        "title: One story",
        "title: One story\n    quote:\n      text: Hi\n      attribution: <i>Dr X</i>",
        "stories[0].quote.attribution",
        "<i>",
    ),
]


@pytest.mark.parametrize(("old", "new", "field", "shown"), PRINTED, ids=[p[2] for p in PRINTED])
def test_a_tag_typed_into_a_plain_text_field_warns_it_prints_as_typed(
    project_copy: Path, old: str, new: str, field: str, shown: str
) -> None:
    (warning,) = coded(check_text(project_copy, MINIMAL.replace(old, new)), "printed-as-typed")
    assert warning.severity == "warning"
    assert warning.field == field
    assert warning.message.startswith(f"{shown} is ")
    assert "printed as typed" in warning.message


def test_html_in_a_markdown_field_is_not_a_plain_text_warning(project_copy: Path) -> None:
    text = MINIMAL.replace("intro: Hello.", "intro: Hello <b>there</b>.")
    assert not coded(check_text(project_copy, text), "printed-as-typed")


SEND_AT = "2026-12-03T09:00:00+00:00"
EMBARGOES = [
    ("2026-12-03T09:30:00+00:00", "embargo-after-send", "error"),
    ("2026-12-03T08:30:00+00:00", "embargo-close", "warning"),
    ("2026-12-03T09:00:00+00:00", "embargo-close", "warning"),
    ("2026-12-03T07:59:00+00:00", None, None),
    ("2026-11-20T09:00:00+00:00", None, None),
]


@pytest.mark.parametrize(("embargo", "code", "severity"), EMBARGOES, ids=[e[0] for e in EMBARGOES])
def test_an_embargo_warns_only_when_later_than_or_within_an_hour_of_send_at(
    project_copy: Path, embargo: str, code: str | None, severity: str | None
) -> None:
    text = MINIMAL.replace("status: draft", f"status: draft\nsend_at: {SEND_AT}")
    problems = check_text(project_copy, text + f"    embargo_until: {embargo}\n")
    found = [(p.code, p.severity) for p in problems if p.field == "stories[0].embargo_until"]
    assert found == ([(code, severity)] if code else [])


def test_two_files_with_one_id_are_both_errors_naming_each_other(project_copy: Path) -> None:
    newsletters = project_copy / "newsletters"
    (newsletters / "one.yaml").write_text("id: shared\n" + MINIMAL, encoding="utf-8")
    (newsletters / "shared.yaml").write_text(MINIMAL, encoding="utf-8")
    report = check_paths(None, load_project(project_copy), now=NOW)
    found = {p.path: p for p in report.problems if p.code == "duplicate-id"}
    assert set(found) == {"newsletters/one.yaml", "newsletters/shared.yaml"}
    assert str(found["newsletters/one.yaml"]).startswith(
        "newsletters/one.yaml:1:1: id: the id 'shared' is also the id of newsletters/shared.yaml;"
    )
    assert found["newsletters/one.yaml"].source_line == "id: shared"
    assert found["newsletters/shared.yaml"].message.startswith(
        "the id 'shared' (taken from the file name) is also the id of newsletters/one.yaml;"
    )
    assert all(p.severity == "error" for p in found.values())
