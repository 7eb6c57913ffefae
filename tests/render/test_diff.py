"""`newsletter diff` on a real git repository: what changed, the text diff, JSON and errors.

These run without screenshots (``--no-screenshots``, or a Chromium that is not there);
``test_diff_browser.py`` takes the pictures.
"""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mailer.cli import cli
from mailer.render.diff import diff_revision
from tests.render.gitproject import (
    APPEAL,
    NEW_TITLE,
    OLD_TITLE,
    SECONDARY,
    commit,
    edit,
    git,
    init_repo,
    retitle,
)


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    return CliRunner()


@pytest.fixture
def repo(project_copy: Path) -> Path:
    init_repo(project_copy)
    return project_copy


def diff(run: CliRunner, repo: Path, *args: str) -> Result:
    out = repo.parent / "report"
    return run.invoke(
        cli, ["--project", str(repo), "diff", "--no-screenshots", "--out", str(out), *args]
    )


def diff_json(run: CliRunner, repo: Path, *args: str) -> dict[str, object]:
    result = diff(run, repo, "--json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def issues_of(data: dict[str, object]) -> dict[str, dict[str, object]]:
    items = data["issues"]
    assert isinstance(items, list)
    return {item["id"]: item for item in items}


def test_the_summary_names_the_changed_title(run: CliRunner, repo: Path) -> None:
    retitle(repo)
    result = diff(run, repo)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"changed   {SECONDARY}: stories[0].title changed; text +1 -1"
    assert lines[1] == f"unchanged {APPEAL}: renders as before"
    assert lines[2].startswith("1 of 2 issues differ from merge-base HEAD main (")


def test_the_report_page_names_the_changed_title_with_both_values(
    run: CliRunner, repo: Path
) -> None:
    retitle(repo)
    assert diff(run, repo).exit_code == 0
    page = (repo.parent / "report" / "index.html").read_text(encoding="utf-8")
    assert "stories[0].title changed" in page
    assert html.escape(OLD_TITLE) in page
    assert html.escape(NEW_TITLE) in page
    assert NEW_TITLE not in page  # escaped, never raw markup


def test_the_text_diff_holds_both_versions(run: CliRunner, repo: Path) -> None:
    retitle(repo)
    text_diff = issues_of(diff_json(run, repo))[SECONDARY]["text_diff"]
    assert isinstance(text_diff, str)
    assert f"-RESEARCH: {OLD_TITLE}\n" in text_diff
    assert f"+RESEARCH: {NEW_TITLE}\n" in text_diff


def test_json_names_the_revision_and_each_change(run: CliRunner, repo: Path) -> None:
    retitle(repo)
    data = diff_json(run, repo)
    assert data["revision"] == {
        "name": "merge-base HEAD main",
        "commit": git(repo, "rev-parse", "HEAD"),
        "short": git(repo, "rev-parse", "--short=7", "HEAD"),
    }
    assert data["changed"] == 1
    assert data["screenshots"] is False
    issue = issues_of(data)[SECONDARY]
    assert issue["status"] == "changed"
    assert issue["path"] == f"newsletters/{SECONDARY}.yaml"
    assert issue["changes"] == [
        {
            "kind": "field",
            "path": "stories[0].title",
            "change": "changed",
            "before": OLD_TITLE,
            "after": NEW_TITLE,
            "summary": "stories[0].title changed",
        }
    ]
    assert issues_of(data)[APPEAL]["status"] == "unchanged"


def _footer(repo: Path) -> None:
    edit(repo / "templates/email/partials/footer.mjml.j2", "signed up for", "asked for")


def _appeal_layout(repo: Path) -> None:
    edit(repo / "templates/email/appeal.mjml.j2", "Dear {{", "Hello {{")


def _sender(repo: Path) -> None:
    edit(repo / "newsletter.yaml", "from_name: Ribbon Research Trust", "from_name: Ribbon News")


def _image(repo: Path) -> None:
    with (repo / "newsletters/images/bone-scan.png").open("ab") as image:
        image.write(b"\0")


@pytest.mark.parametrize(
    ("change", "named", "changed"),
    [
        (_footer, "template email/partials/footer.mjml.j2 changed", {SECONDARY, APPEAL}),
        (_appeal_layout, "template email/appeal.mjml.j2 changed", {APPEAL}),
        (_sender, "newsletter.yaml sender.from_name changed", {SECONDARY, APPEAL}),
        (_image, "image bone-scan.png changed", {SECONDARY, APPEAL}),
    ],
    ids=["shared-partial", "one-layout", "settings", "image"],
)
def test_a_change_outside_the_issue_file_marks_every_issue_it_affects(
    run: CliRunner, repo: Path, change: Callable[[Path], None], named: str, changed: set[str]
) -> None:
    change(repo)
    issues = issues_of(diff_json(run, repo))
    assert {i for i, issue in issues.items() if issue["status"] == "changed"} == changed
    for issue_id in changed:
        changes = issues[issue_id]["changes"]
        assert isinstance(changes, list)
        assert named in [c["summary"] for c in changes], changes


def test_new_and_deleted_issues_are_shown(run: CliRunner, repo: Path) -> None:
    news = repo / "newsletters"
    shutil.copy(news / f"{APPEAL}.yaml", news / "2027-01-spring-appeal.yaml")
    edit(news / "2027-01-spring-appeal.yaml", f"id: {APPEAL}", "id: 2027-01-spring-appeal")
    (news / f"{SECONDARY}.yaml").unlink()
    issues = issues_of(diff_json(run, repo))
    assert {i: issue["status"] for i, issue in issues.items()} == {
        SECONDARY: "deleted",
        APPEAL: "unchanged",
        "2027-01-spring-appeal": "new",
    }
    assert f"-RESEARCH: {OLD_TITLE}\n" in str(issues[SECONDARY]["text_diff"])


def test_the_default_revision_is_the_merge_base_with_main(run: CliRunner, repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "switch", "-q", "-c", "new-title")
    retitle(repo)
    commit(repo, "a better title")
    data = diff_json(run, repo)
    assert data["revision"] == {"name": "merge-base HEAD main", "commit": base, "short": base[:7]}
    assert issues_of(data)[SECONDARY]["status"] == "changed"


def test_a_named_revision_and_issue_limit_the_comparison(run: CliRunner, repo: Path) -> None:
    retitle(repo)
    commit(repo, "a better title")
    data = diff_json(run, repo, "HEAD~1", APPEAL)
    assert data["revision"] == {
        "name": "HEAD~1",
        "commit": git(repo, "rev-parse", "HEAD~1"),
        "short": git(repo, "rev-parse", "--short=7", "HEAD~1"),
    }
    assert list(issues_of(data)) == [APPEAL]


def test_an_issue_id_alone_compares_with_the_default_revision(run: CliRunner, repo: Path) -> None:
    retitle(repo)
    data = diff_json(run, repo, SECONDARY)
    assert data["revision"] == {
        "name": "merge-base HEAD main",
        "commit": git(repo, "rev-parse", "HEAD"),
        "short": git(repo, "rev-parse", "--short=7", "HEAD"),
    }
    assert list(issues_of(data)) == [SECONDARY]


def test_nothing_changed_says_so(run: CliRunner, repo: Path) -> None:
    result = diff(run, repo)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1].startswith("0 of 2 issues differ from ")
    page = (repo.parent / "report" / "index.html").read_text(encoding="utf-8")
    assert "No issue renders differently." in page


def test_the_working_tree_and_index_are_left_alone(run: CliRunner, repo: Path) -> None:
    retitle(repo)
    git(repo, "add", f"newsletters/{SECONDARY}.yaml")
    (repo / "newsletters" / "notes.txt").write_text("untracked\n")
    before = (git(repo, "status", "--porcelain"), git(repo, "diff", "--cached"))
    assert diff(run, repo).exit_code == 0
    assert (git(repo, "status", "--porcelain"), git(repo, "diff", "--cached")) == before
    assert git(repo, "worktree", "list").count("\n") == 0  # no extra worktree left behind


def test_without_a_browser_the_report_has_the_text_parts_and_says_why(repo: Path) -> None:
    retitle(repo)
    out = repo.parent / "report"
    report = diff_revision(repo, out=out, chromium=repo.parent / "no-chromium")
    assert report.browser_note == f"no browser ({repo.parent / 'no-chromium'} is missing)"
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count("no browser (") == 1
    assert "stories[0].title changed" in page
    assert not (out / "screenshots").exists()


def _not_a_repo(repo: Path) -> list[str]:
    shutil.rmtree(repo / ".git")
    return []


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (_not_a_repo, "is not in a git repository; newsletter diff compares git revisions"),
        (lambda repo: ["no-such-branch"], "unknown revision 'no-such-branch': not a commit"),
        (lambda repo: ["HEAD", "no-such-issue"], "unknown issue 'no-such-issue': not in "),
    ],
    ids=["not-a-repository", "unknown-revision", "unknown-issue"],
)
def test_a_mistake_is_one_line_and_exit_1(
    run: CliRunner, repo: Path, make_args: Callable[[Path], list[str]], message: str
) -> None:
    result = diff(run, repo, *make_args(repo))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert message in result.stderr


def test_an_issue_that_no_longer_renders_says_why(run: CliRunner, repo: Path) -> None:
    edit(repo / "newsletters" / f"{SECONDARY}.yaml", "    title: ", "    titel: ")
    issue = issues_of(diff_json(run, repo))[SECONDARY]
    assert issue["status"] == "changed"
    problems = issue["problems"]
    assert isinstance(problems, dict)
    assert problems["before"] == []
    assert any("stories[0].titel: unknown field" in p for p in problems["after"])
    assert "cannot render now: " in str(issue["summary"])


def test_a_project_in_a_subfolder_of_the_repository(run: CliRunner, project_copy: Path) -> None:
    top = project_copy.parent
    init_repo(top)
    retitle(project_copy)
    issues = issues_of(diff_json(run, project_copy))
    assert issues[SECONDARY]["status"] == "changed"
    assert issues[APPEAL]["status"] == "unchanged"


def test_settings_broken_on_both_sides_alike_change_nothing(run: CliRunner, repo: Path) -> None:
    edit(repo / "newsletter.yaml", "base_url: https://", "base_url: ftp://")
    commit(repo, "a broken base_url")
    issues = issues_of(diff_json(run, repo, "HEAD"))
    assert {issue["status"] for issue in issues.values()} == {"unchanged"}
