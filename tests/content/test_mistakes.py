"""The mistakes people make writing an issue, each in plain English at the spot to fix.

One file per mistake under ``tests/data/mistakes/``; each row pins the message, its code, the
line and column, and the source line with the caret under the spot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mailer.content.codes import EXPLANATIONS
from mailer.errors import Problem
from mailer.render.check import check_paths
from mailer.settings import Project
from tests.plugins.content import ROOT

MISTAKES = ROOT / "tests" / "data" / "mistakes"


@dataclass(frozen=True)
class Mistake:
    file: str
    line: int
    column: int
    code: str
    message: str
    source_line: str
    caret: str


TABLE = [
    Mistake(
        "unquoted-colon.yaml",
        9,
        30,
        "yaml-unquoted-colon",
        "the text contains ': ', which YAML reads as the start of a new field; put the text "
        'in quotes: title: "Old drugs, new job: keeping cancer in check"',
        "    title: Old drugs, new job: keeping cancer in check",
        "                             ^",
    ),
    Mistake(
        "curly-quotes.yaml",
        9,
        12,
        "yaml-curly-quotes",
        "the text starts with the typographic (curly) quote “, which YAML does not read as a "
        "quote, so the ': ' inside it looks like a new field; use straight quotes: "
        'title: "Old drugs: new job"',
        "    title: “Old drugs: new job”",
        "           ^",
    ),
    Mistake(
        "curly-closing-quote.yaml",
        9,
        31,
        "yaml-curly-quotes",
        "” is a typographic (curly) quote, which YAML does not read as a quote, so the text is "
        'never closed; type a straight " instead',
        '    title: "Old drugs, new job”',
        "                              ^",
    ),
    Mistake(
        "tab-indent.yaml",
        9,
        1,
        "yaml-tab",
        "this line is indented with a tab; YAML needs spaces: replace the tab with spaces",
        "\ttitle: Old drugs",
        "^",
    ),
    Mistake(
        "no-colon.yaml",
        7,
        1,
        "yaml-no-colon",
        "'the last of the year.' is not a field: a field is a name, a colon and a space, then "
        "the value (name: value); if this text continues the value above, indent it further "
        "than that field's name",
        "the last of the year.",
        "^",
    ),
    Mistake(
        "indent-too-far.yaml",
        13,
        9,
        "yaml-indent-too-far",
        "role is indented more than name on line 12, so YAML reads it as more of that value; "
        "line it up with name (6 spaces) to make it a field of researcher",
        "        role: Lecturer",
        "        ^",
    ),
    Mistake(
        "indent-too-little.yaml",
        12,
        5,
        "indent-too-little",
        "src is not a field here; it belongs under image: indent it two spaces more than image:",
        "    src: https://www.example.org/lab.jpg",
        "    ^",
    ),
    Mistake(
        "indent-mismatch.yaml",
        13,
        7,
        "yaml-indent-mismatch",
        "role is indented by 6 spaces, which lines up with no field above it; to make it a "
        "field of researcher, line it up with name (8 spaces)",
        "      role: Lecturer",
        "      ^",
    ),
    Mistake(
        "role-not-under-researcher.yaml",
        13,
        5,
        "indent-too-little",
        "role is not a field here; it belongs under researcher: indent it two spaces more "
        "than researcher:",
        "    role: Lecturer",
        "    ^",
    ),
    Mistake(
        "stories-without-dash.yaml",
        7,
        1,
        "needs-list",
        "stories is a list: start each item with a dash and a space, e.g. - kind: research",
        "stories:",
        "^",
    ),
    Mistake(
        "invisible-character.yaml",
        6,
        6,
        "invisible-character",
        "the field name 'intro<U+00A0>' contains an invisible character, U+00A0 NO-BREAK "
        "SPACE; delete the name and type it again",
        "intro\u00a0: Hello.",
        "     ^",
    ),
    Mistake(
        "audience-without-list.yaml",
        4,
        1,
        "missing-field",
        "audience.list is missing: write list: on the line under audience:, indented two "
        "spaces more",
        "audience:",
        "^",
    ),
    Mistake(
        "subject-too-long.yaml",
        2,
        1,
        "too-long",
        "subject is 201 characters; at most 150",
        "subject: " + ("Research news from the labs we fund " * 6)[:201],
        "^",
    ),
    Mistake(
        "January Issue.yaml",
        1,
        1,
        "id-from-file-name",
        "the id comes from the file name 'January Issue.yaml', which is not a valid id "
        "(lower-case letters, digits and hyphens); rename the file to january-issue.yaml, or "
        "add a line id: january-issue",
        "",
        "",
    ),
]


@pytest.mark.parametrize("mistake", TABLE, ids=[m.file for m in TABLE])
def test_a_mistake_is_named_at_its_spot_with_the_line_shown(
    mistake: Mistake, project: Project
) -> None:
    report = check_paths([MISTAKES / mistake.file], project)
    found = [p for p in report.problems if p.code == mistake.code]
    assert len(found) == 1, [str(p) for p in report.problems]
    problem = found[0]
    assert (problem.line, problem.column) == (mistake.line, mistake.column)
    assert problem.message == mistake.message
    assert problem.severity == "error"
    assert problem.source_line == mistake.source_line
    assert problem.caret == mistake.caret
    assert problem.code in EXPLANATIONS


def test_the_field_put_at_the_wrong_level_is_named_too(project: Project) -> None:
    report = check_paths([MISTAKES / "audience-without-list.yaml"], project)
    (moved,) = [p for p in report.problems if p.code == "indent-too-little"]
    assert str(moved).endswith(
        "audience-without-list.yaml:5:1: list: list is not a field here; it belongs under "
        "audience: indent it two spaces more than audience: [indent-too-little]"
    )


def test_a_name_with_an_invisible_character_is_not_also_missing(project: Project) -> None:
    report = check_paths([MISTAKES / "invisible-character.yaml"], project)
    assert [p.code for p in report.problems] == ["invisible-character"]


def test_a_subject_over_the_limit_is_not_also_warned_about_phones(project: Project) -> None:
    report = check_paths([MISTAKES / "subject-too-long.yaml"], project)
    assert [p.code for p in report.problems] == ["too-long"]


def test_every_problem_shows_in_one_run(project: Project) -> None:
    report = check_paths([MISTAKES / "one-pass.yaml"], project)
    found = [(p.field, p.code) for p in report.problems]
    assert found == [
        ("send_at", "naive-time"),
        ("stories[0].summary", "missing-field"),
        ("stories[0].sumary", "unknown-field"),
        ("stories[0].image", "missing-alt"),
        ("stories[0].link.url", "not-https"),
    ]


def test_a_caret_lines_up_under_a_tab() -> None:
    problem = Problem("x.yaml", 1, 4, "", "m", source_line="\tab: c")
    assert problem.caret == "\t  ^"
    assert problem.excerpt == "\tab: c\n\t  ^"


def test_a_caret_past_the_end_of_the_line_stays_at_its_column() -> None:
    assert Problem("x.yaml", 1, 6, "", "m", source_line="ab:").caret == "     ^"


def test_a_field_name_with_a_bracket_is_reported_where_it_is_written(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "bracket.yaml"
    text = (MISTAKES / "no-colon.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("the last of the year.\n", "").replace("status:", "sta[tus:"))
    report = check_paths([path], project)
    assert [(p.field, p.line, p.code) for p in report.problems] == [
        ("status", 1, "missing-field"),
        ("sta[tus", 1, "unknown-field"),
    ]
