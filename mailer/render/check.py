"""``newsletter check``: validate, lint and render issues; every problem, then a verdict.

``check_paths`` loads each issue (:mod:`mailer.content.issue`), lints it
(:mod:`mailer.content.lint`), renders it and checks what only the rendered email shows (the
HTML size Gmail clips at), and that no two of the files share an id. Errors block a build or
a send; warnings are advice. Each problem is located as ``path:line:column: field: message``
so an editor (or a person) can jump to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mailer.content.ids import duplicate_ids
from mailer.content.issue import Issue, issue_paths, parse_issue
from mailer.content.lint import lint_brand, lint_issue
from mailer.errors import Problem, RenderError
from mailer.render.email import Email
from mailer.render.imagecheck import lint_images
from mailer.settings import Project

HTML_LIMIT = 90 * 1024  # Gmail clips at ~102 KB; click tracking makes links longer after we send


@dataclass(frozen=True)
class FileReport:
    """The verdict on one issue file."""

    path: str
    issue: Issue | None
    email: Email | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class CheckReport:
    files: tuple[FileReport, ...]
    settings_problems: tuple[Problem, ...] = field(default=())

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.settings_problems + tuple(p for f in self.files for p in f.problems)

    @property
    def error_count(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warning_count(self) -> int:
        return sum(1 for p in self.problems if p.severity == "warning")

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.error_count == 0,
            "errors": self.error_count,
            "warnings": self.warning_count,
            "files": [
                {
                    "path": f.path,
                    "id": f.issue.id if f.issue else None,
                    "ok": f.ok,
                    "html_bytes": f.email.html_bytes if f.email else None,
                    "problems": [p.as_dict() for p in f.problems],
                }
                for f in self.files
            ],
            "settings": [p.as_dict() for p in self.settings_problems],
        }


def check_paths(
    paths: Iterable[Path] | None, project: Project, *, now: datetime | None = None
) -> CheckReport:
    """Check the given issue files (default: every file in ``newsletters/``)."""
    from mailer.render.view import render_issue  # the render path is only needed once loaded

    now = now or datetime.now(UTC)
    chosen = list(paths) if paths else issue_paths(project)
    reports = []
    files = [parse_issue(path, project) for path in chosen]
    duplicates = duplicate_ids(files)
    for parsed in files:
        problems = list(parsed.problems)
        if parsed.path in duplicates:
            problems.append(duplicates[parsed.path])
        problems.extend(lint_issue(parsed, project, now=now))
        problems.extend(lint_images(parsed, project))  # also makes the resized copies
        email = None
        if parsed.issue is not None:
            try:
                email = render_issue(parsed.issue, project)
            except RenderError as exc:
                problems.append(Problem(parsed.path, 1, 1, "", f"cannot render: {exc}"))
            if email is not None and email.html_bytes > HTML_LIMIT:
                problems.append(
                    Problem(
                        parsed.path,
                        1,
                        1,
                        "",
                        (
                            f"the HTML is {email.html_bytes / 1024:.0f} KB; keep it under "
                            f"{HTML_LIMIT // 1024} KB or Gmail clips it "
                            "(shorten or split the issue)"
                        ),
                    )
                )
        problems.sort(key=lambda p: (p.line, p.column))
        reports.append(FileReport(parsed.path, parsed.issue, email, tuple(problems)))
    return CheckReport(tuple(reports), tuple(lint_brand(project)))
