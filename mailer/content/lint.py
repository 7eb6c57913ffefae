"""Lints of a loaded issue: problems the schema cannot see, found without rendering.

``lint_issue`` looks at a parsed, valid ``Issue`` and its YAML positions: links that are not
https://, vague link text, embargoes later than ``send_at`` or not yet
lifted, a long subject, a missing preheader. ``lint_brand`` checks the WCAG contrast of the
brand colours in ``newsletter.yaml``. Each problem is located as ``path:line:column: field``.
Checks that need the rendered email (the HTML size) live in :mod:`mailer.render.check`, and
those of images (which need Pillow) in :mod:`mailer.render.imagecheck`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from mailer.content.issue import Issue, Parsed
from mailer.content.source import Loc, Located, format_loc, load_yaml
from mailer.errors import Problem, Severity
from mailer.settings import SETTINGS_FILE, Project

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

SUBJECT_LIMIT = 78
VAGUE_LINK_TEXT = re.compile(
    r"^\s*(click here|here|click|this|this link|link|read more|more|learn more|go)\s*[.!]?\s*$",
    re.IGNORECASE,
)
AA_CONTRAST = 4.5


@dataclass(frozen=True)
class _Locator:
    """Turns a location in the issue into a ``Problem`` at its line and column."""

    path: str
    located: Located

    def at(self, loc: Loc, message: str, severity: Severity = "error") -> Problem:
        line, col = self.located.position(loc)
        return Problem(self.path, line, col, format_loc(loc), message, severity)


def lint_issue(parsed: Parsed, project: Project, *, now: datetime) -> Iterator[Problem]:
    """Problems beyond the schema: links, images, embargoes, wording."""
    issue = parsed.issue
    assert issue is not None
    where = _Locator(parsed.path, parsed.located)
    yield from _lint_wording(issue, where)
    yield from _lint_links(issue, where)
    yield from _lint_stories(issue, project, where, now)


def _lint_wording(issue: Issue, where: _Locator) -> Iterator[Problem]:
    if len(issue.subject) > SUBJECT_LIMIT:
        yield where.at(
            ("subject",),
            f"subject is {len(issue.subject)} characters; phones show about "
            f"{SUBJECT_LIMIT}, so the end may be cut off",
            "warning",
        )
    if not issue.preheader:
        yield where.at(
            (), "no preheader: inboxes will show the first words of the email instead", "warning"
        )


def _lint_links(issue: Issue, where: _Locator) -> Iterator[Problem]:
    for loc, url in _links(issue):
        if url.startswith("http://"):
            yield where.at(loc, "link is not https://; use the secure address")
    for loc, label in _labels(issue):
        if VAGUE_LINK_TEXT.match(label):
            yield where.at(
                loc,
                f"link text {label!r} says nothing out of context; name where it "
                "goes (screen readers list links by their text)",
                "warning",
            )


def _lint_stories(
    issue: Issue, project: Project, where: _Locator, now: datetime
) -> Iterator[Problem]:
    for i, story in enumerate(issue.stories):
        if story.embargo_until is not None:
            yield from _lint_embargo(
                issue, story.embargo_until, ("stories", i, "embargo_until"), where, now
            )


def _lint_embargo(
    issue: Issue, embargo: datetime, loc: Loc, where: _Locator, now: datetime
) -> Iterator[Problem]:
    if issue.send_at is not None and embargo > issue.send_at:
        yield where.at(
            loc,
            f"embargo {embargo.isoformat()} is later than send_at "
            f"{issue.send_at.isoformat()}: the issue would go out too early",
        )
    elif embargo > now:
        yield where.at(
            loc,
            f"embargoed until {embargo.isoformat()}; it cannot be sent before then",
            "warning",
        )


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False})


def _markdown_links(source: str) -> Iterator[tuple[str, str]]:
    for token in _markdown().parse(source):
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
    ("muted", "card", "small print on the story cards"),
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
    """Brand colour pairs below WCAG AA contrast, located in ``newsletter.yaml``."""
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
