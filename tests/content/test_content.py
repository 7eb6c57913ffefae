"""Loading and validating issue files: every problem, located, in words people can act on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailer.content.issue import load_issue
from mailer.errors import ContentError
from mailer.render.check import check_paths
from mailer.settings import Project
from tests.plugins.content import ISSUE_DATA, SAMPLES


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_issues_load_and_pass_check(path: Path, project: Project) -> None:
    issue = load_issue(path, project)
    assert issue.status == "draft"  # samples are never sent by a scheduled job
    report = check_paths([path], project)
    assert report.error_count == 0, [str(p) for p in report.problems]


def test_id_defaults_to_the_file_name(project: Project) -> None:
    issue = load_issue(ISSUE_DATA / "good-minimal.yaml", project)
    assert issue.id == "good-minimal"


BAD = [
    ("bad-yaml-syntax", '2:10: the quote " that starts this text is never closed'),
    ("bad-duplicate-key", "4:1: subject: duplicate key (first set on line 2)"),
    ("bad-unknown-field", "10:5: stories[0].sumary: unknown field (did you mean 'summary'?)"),
    ("bad-missing-field", "1:1: subject: required field is missing"),
    ("bad-wrong-type", "9:5: stories[0].title: expected text"),
    ("bad-status", "1:1: status: expected 'draft' or 'ready'"),
    ("bad-naive-date", "4:1: send_at: needs a time zone"),
    ("bad-date", "4:1: send_at: expected a date and time like 2026-12-01T09:00:00+00:00"),
    ("bad-url", "12:7: stories[0].link.url: expected an absolute web address"),
    ("bad-http-link", "12:7: stories[0].link.url: link is not https://"),
    ("bad-missing-alt", "11:5: stories[0].image: alt text is required"),
    (
        "bad-missing-image",
        "12:7: stories[0].image.src: no such image: newsletters/images/not-there",
    ),
    ("bad-image-path", "12:7: stories[0].image.src: expected an https:// address or a file name"),
    ("bad-tag", "11:23: stories[0].tags[1]: tag 'gardening' is not an allowed interest"),
    ("bad-list", "5:3: audience.list: unknown list 'cat-pictures'"),
    (
        "bad-embargo-after-send",
        "12:5: stories[0].embargo_until: embargo 2026-12-04T00:01:00+00:00 is later than send_at",
    ),
    ("bad-doi", "11:5: stories[0].doi: expected a DOI like"),
    ("bad-appeal-two-stories", "1:1: an appeal has exactly one story"),
    (
        "bad-python-tag",
        "2:10: YAML error: the tag 'tag:yaml.org,2002:python/object/apply:os.system'"
        " is not allowed",
    ),
]


@pytest.mark.parametrize(("name", "expected"), BAD, ids=[name for name, _ in BAD])
def test_bad_issue_reports_file_line_field_and_message(
    name: str, expected: str, project: Project
) -> None:
    path = ISSUE_DATA / f"{name}.yaml"
    report = check_paths([path], project)
    lines = [str(p) for p in report.problems if p.severity == "error"]
    assert f"tests/data/issues/{name}.yaml:{expected}" in "\n".join(lines)
    assert report.error_count >= 1


def test_every_problem_is_reported_not_just_the_first(project: Project) -> None:
    report = check_paths([ISSUE_DATA / "bad-many.yaml"], project)
    fields = [p.field for p in report.problems]
    assert fields == [
        "status",
        "audience.interests[0]",
        "stories[0].kind",
        "stories[0].image",
    ]


def test_load_issue_raises_content_error_with_all_problems(project: Project) -> None:
    with pytest.raises(ContentError) as caught:
        load_issue(ISSUE_DATA / "bad-many.yaml", project)
    assert len(caught.value.problems) == 4


def test_style_problems_are_warnings(project: Project) -> None:
    report = check_paths([ISSUE_DATA / "warn-style.yaml"], project)
    assert report.error_count == 0
    messages = [p.message for p in report.problems if p.severity == "warning"]
    assert any("subject is 83 characters" in m for m in messages)
    assert any("no preheader" in m for m in messages)
    assert any("link text 'click here'" in m for m in messages)


def test_future_embargo_is_flagged(project_copy: Path) -> None:
    from mailer.settings import load_project

    proj = load_project(project_copy)
    path = project_copy / "newsletters" / "embargoed.yaml"
    path.write_text(
        (ISSUE_DATA / "good-minimal.yaml").read_text()
        + "    embargo_until: 2026-12-01T00:01:00+00:00\n"
    )
    before = check_paths([path], proj, now=datetime(2026, 11, 30, tzinfo=UTC))
    warning = [p for p in before.problems if p.field == "stories[0].embargo_until"]
    assert warning
    assert warning[0].severity == "warning"
    assert "cannot be sent before then" in warning[0].message
    after = check_paths([path], proj, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert not after.problems
    assert load_issue(path, proj).embargo_until == datetime(2026, 12, 1, 0, 1, tzinfo=UTC)


def test_low_contrast_brand_colour_is_a_warning(project_copy: Path) -> None:
    from mailer.settings import load_project

    settings = project_copy / "newsletter.yaml"
    settings.write_text(settings.read_text().replace('accent: "#c2185b"', 'accent: "#ffcc00"'))
    report = check_paths(None, load_project(project_copy))
    warnings = [str(p) for p in report.settings_problems]
    assert any(
        "newsletter.yaml:" in w
        and "brand.colours.accent: links and labels on the cards: contrast 1.5:1 is below WCAG AA"
        in w
        for w in warnings
    ), warnings
    assert report.error_count == 0


def test_html_over_90_kb_is_an_error(project_copy: Path) -> None:
    from mailer.settings import load_project

    story = (
        "  - kind: news\n    title: Story {n}\n    summary: |\n"
        + "      "
        + "Research words that fill the email. " * 20
        + "\n"
    )
    text = (ISSUE_DATA / "good-minimal.yaml").read_text().split("stories:")[0]
    text += "stories:\n" + "".join(story.format(n=n) for n in range(60))
    path = project_copy / "newsletters" / "huge.yaml"
    path.write_text(text)
    report = check_paths([path], load_project(project_copy))
    assert any("keep it under 90 KB or Gmail clips it" in p.message for p in report.problems)
    assert report.error_count == 1
