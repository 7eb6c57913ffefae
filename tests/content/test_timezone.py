"""``timezone:`` in newsletter.yaml: times written without an offset are read in that zone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailer.content.issue import parse_issue
from mailer.errors import SettingsError
from mailer.render.check import check_paths
from mailer.settings import Project, load_project
from tests.plugins.content import ISSUE_DATA

MINIMAL = (ISSUE_DATA / "good-minimal.yaml").read_text(encoding="utf-8")


def in_london(project_copy: Path) -> Project:
    settings = project_copy / "newsletter.yaml"
    settings.write_text(settings.read_text() + "timezone: Europe/London\n", encoding="utf-8")
    return load_project(project_copy)


def issue_at(project_copy: Path, send_at: str, embargo: str | None = None) -> Path:
    text = MINIMAL.replace("status: draft", f"status: draft\nsend_at: {send_at}")
    if embargo:
        text += f"    embargo_until: {embargo}\n"
    path = project_copy / "newsletters" / "timed.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("written", "utc", "zone_name"),
    [
        ("2026-12-01T09:00", datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "GMT"),
        ("2026-07-01 09:00:00", datetime(2026, 7, 1, 8, 0, tzinfo=UTC), "BST"),
    ],
    ids=["winter-gmt", "summer-bst"],
)
def test_a_time_without_offset_is_read_in_the_settings_zone(
    project_copy: Path, written: str, utc: datetime, zone_name: str
) -> None:
    project = in_london(project_copy)
    parsed = parse_issue(issue_at(project_copy, written), project)
    assert parsed.issue is not None
    assert parsed.issue.send_at == utc
    (note,) = [p for p in parsed.problems if p.field == "send_at"]
    assert note.severity == "note"
    assert note.code == "send-at-utc"
    stamp = utc.isoformat().replace("+00:00", "Z")
    assert note.message.endswith(f"in Europe/London ({zone_name}) is {stamp} in UTC")


def test_an_embargo_without_offset_is_read_in_the_zone_too(project_copy: Path) -> None:
    project = in_london(project_copy)
    path = issue_at(project_copy, "2026-07-01T09:00", embargo="2026-07-01T07:30")
    parsed = parse_issue(path, project)
    assert parsed.issue is not None
    assert parsed.issue.embargo_until == datetime(2026, 7, 1, 6, 30, tzinfo=UTC)


def test_a_time_with_an_offset_is_kept_as_written(project_copy: Path) -> None:
    project = in_london(project_copy)
    parsed = parse_issue(issue_at(project_copy, "2026-07-01T09:00:00+00:00"), project)
    assert parsed.issue is not None
    assert parsed.issue.send_at == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert not parsed.problems


@pytest.mark.parametrize(
    ("written", "words"),
    [
        (
            "2026-03-29T01:30",
            "2026-03-29T01:30 does not exist in Europe/London: the clocks go forward that night",
        ),
        (
            "2026-10-25T01:30",
            "2026-10-25T01:30 happens twice in Europe/London: the clocks go back that night; "
            "write the offset: 2026-10-25T01:30+01:00 (BST) or 2026-10-25T01:30+00:00 (GMT)",
        ),
    ],
    ids=["spring-gap", "autumn-repeat"],
)
def test_a_time_the_clock_change_skips_or_repeats_is_refused(
    project_copy: Path, written: str, words: str
) -> None:
    project = in_london(project_copy)
    report = check_paths([issue_at(project_copy, written)], project)
    (error,) = report.files[0].errors
    assert (error.field, error.code, error.line) == ("send_at", "time-in-clock-change", 2)
    assert error.message.startswith(words)
    assert error.source_line == f"send_at: {written}"


def test_without_the_setting_a_naive_time_is_an_error_suggesting_it(project_copy: Path) -> None:
    project = load_project(project_copy)
    report = check_paths([issue_at(project_copy, "2026-12-01T09:00")], project)
    (error,) = report.files[0].errors
    assert error.code == "naive-time"
    assert "set timezone: Europe/London in newsletter.yaml" in error.message


def test_an_unknown_zone_in_the_settings_is_a_settings_error(project_copy: Path) -> None:
    settings = project_copy / "newsletter.yaml"
    settings.write_text(settings.read_text() + "timezone: Europe/Londres\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_project(project_copy)
    (problem,) = caught.value.problems
    assert problem.field == "timezone"
    assert "unknown time zone 'Europe/Londres'" in problem.message
