"""``newsletter check``: validate issues and lint them; every problem, then a verdict.

Errors block a build or a send; warnings are advice. Each problem is located as
``path:line:column: field: message`` so an editor (or a person) can jump to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from markdown_it import MarkdownIt

from mailer.content.issue import Issue, Parsed, issue_paths, parse_issue
from mailer.content.source import Loc, format_loc, load_yaml
from mailer.errors import Problem, RenderError
from mailer.render.email import Email
from mailer.settings import SETTINGS_FILE, Project

HTML_LIMIT = 90 * 1024  # Gmail clips at ~102 KB; click tracking makes links longer after we send
SUBJECT_LIMIT = 78
VAGUE_LINK_TEXT = re.compile(
    r"^\s*(click here|here|click|this|this link|link|read more|more|learn more|go)\s*[.!]?\s*$",
    re.IGNORECASE,
)
AA_CONTRAST = 4.5


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
    for path in chosen:
        parsed = parse_issue(path, project)
        problems = list(parsed.problems)
        email = None
        if parsed.issue is not None:
            problems.extend(lint_issue(parsed, project, now=now))
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


def lint_issue(parsed: Parsed, project: Project, *, now: datetime) -> Iterator[Problem]:
    """Problems beyond the schema: links, images, embargoes, wording."""
    issue = parsed.issue
    assert issue is not None
    path = parsed.path

    def at(loc: Loc, message: str, severity: str = "error") -> Problem:
        line, col = parsed.located.position(loc)
        return Problem(
            path,
            line,
            col,
            format_loc(loc),
            message,
            "warning" if severity == "warning" else "error",
        )

    if len(issue.subject) > SUBJECT_LIMIT:
        yield at(
            ("subject",),
            f"subject is {len(issue.subject)} characters; phones show about "
            f"{SUBJECT_LIMIT}, so the end may be cut off",
            "warning",
        )
    if not issue.preheader:
        yield at(
            (), "no preheader: inboxes will show the first words of the email instead", "warning"
        )
    for loc, url in _links(issue):
        if url.startswith("http://"):
            yield at(loc, "link is not https://; use the secure address")
    for loc, label in _labels(issue):
        if VAGUE_LINK_TEXT.match(label):
            yield at(
                loc,
                f"link text {label!r} says nothing out of context; name where it "
                "goes (screen readers list links by their text)",
                "warning",
            )
    for i, story in enumerate(issue.stories):
        if story.image is not None:
            src = story.image.src
            if src.startswith("http://"):
                yield at(("stories", i, "image", "src"), "image is not https://")
            elif not src.startswith("https://"):
                local = project.images / src
                if not local.is_file():
                    yield at(
                        ("stories", i, "image", "src"), f"no such image: newsletters/images/{src}"
                    )
        if story.embargo_until is not None:
            loc = ("stories", i, "embargo_until")
            if issue.send_at is not None and story.embargo_until > issue.send_at:
                yield at(
                    loc,
                    f"embargo {story.embargo_until.isoformat()} is later than send_at "
                    f"{issue.send_at.isoformat()}: the issue would go out too early",
                )
            elif story.embargo_until > now:
                yield at(
                    loc,
                    f"embargoed until {story.embargo_until.isoformat()}; it cannot "
                    "be sent before then",
                    "warning",
                )


_MD = MarkdownIt("commonmark", {"html": False})


def _markdown_links(source: str) -> Iterator[tuple[str, str]]:
    for token in _MD.parse(source):
        children = token.children or []
        for n, child in enumerate(children):
            if child.type == "link_open":
                label = ""
                for nxt in children[n + 1 :]:
                    if nxt.type == "link_close":
                        break
                    label += nxt.content
                yield str(child.attrs.get("href", "")), label


def _markdown_fields(issue: Issue) -> Iterator[tuple[Loc, str]]:
    yield ("intro",), issue.intro
    for i, story in enumerate(issue.stories):
        yield ("stories", i, "summary"), story.summary
    if issue.call_to_action:
        yield ("call_to_action", "text"), issue.call_to_action.text


def _links(issue: Issue) -> Iterator[tuple[Loc, str]]:
    for i, story in enumerate(issue.stories):
        if story.link:
            yield ("stories", i, "link", "url"), story.link.url
    if issue.call_to_action:
        yield ("call_to_action", "url"), issue.call_to_action.url
    for loc, source in _markdown_fields(issue):
        for href, _ in _markdown_links(source):
            yield loc, href


def _labels(issue: Issue) -> Iterator[tuple[Loc, str]]:
    for i, story in enumerate(issue.stories):
        if story.link:
            yield ("stories", i, "link", "label"), story.link.label
    if issue.call_to_action:
        yield ("call_to_action", "button_label"), issue.call_to_action.button_label
    for loc, source in _markdown_fields(issue):
        for _, label in _markdown_links(source):
            yield loc, label


# --- brand contrast (WCAG 2.x) ----------------------------------------------------------

_PAIRS = (
    ("text", "card", "body text on the story cards"),
    ("muted", "background", "footer text on the page background"),
    ("primary", "card", "story titles on the cards"),
    ("accent", "card", "links and labels on the cards"),
    ("button_text", "accent", "button text on the button"),
    ("button_text", "primary", "call-to-action text on its panel"),
)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def lint_brand(project: Project) -> Iterator[Problem]:
    colours = project.settings.brand.colours
    path = project.root / SETTINGS_FILE
    located = load_yaml(path.read_text(encoding="utf-8"), SETTINGS_FILE)
    for fg, bg, what in _PAIRS:
        ratio = contrast_ratio(getattr(colours, fg), getattr(colours, bg))
        if ratio < AA_CONTRAST:
            loc = ("brand", "colours", fg)
            line, col = located.position(loc)
            yield Problem(
                SETTINGS_FILE,
                line,
                col,
                format_loc(loc),
                f"{what}: contrast {ratio:.1f}:1 is below WCAG AA ({AA_CONTRAST}:1)",
                "warning",
            )
