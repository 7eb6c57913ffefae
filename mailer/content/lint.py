"""Lints of a loaded issue: problems the schema cannot see, found without rendering.

``lint_issue`` looks at a parsed issue's data and YAML positions, valid or not: links that
are not https://, vague link text, embargoes later than (or less than an
hour before) ``send_at`` or not yet lifted, a long subject, a missing preheader, a ``ready``
issue without ``send_at``, HTML or ``%%tags%%`` typed into plain-text fields. ``lint_brand``
checks the WCAG contrast of the brand colours in ``newsletter.yaml``. Each problem is located
as ``path:line:column: field``. Checks that need the rendered email (the HTML size) live in
:mod:`mailer.render.check`, and
those of images (which need Pillow) in :mod:`mailer.render.imagecheck`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mailer.content import codes
from mailer.content.issue import SUBJECT_MAX, Parsed
from mailer.content.source import Loc, Located, format_loc, load_yaml, with_source
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


EMBARGO_MARGIN = timedelta(hours=1)  # an embargo lifting closer than this to send_at is risky
PRINTED_AS_TYPED = (
    (re.compile(r"%%[^%\s]+%%"), "a substitution tag"),
    (re.compile(r"</?[a-zA-Z][^<>]*>|&(?:#\d+|[a-zA-Z]+);"), "HTML"),
)


@dataclass(frozen=True)
class _Locator:
    """Turns a location in the issue into a ``Problem`` at its line and column."""

    path: str
    located: Located

    def at(self, loc: Loc, message: str, severity: Severity = "error", code: str = "") -> Problem:
        line, col = self.located.position(loc)
        problem = Problem(self.path, line, col, format_loc(loc), message, severity, code)
        return with_source(problem, self.located.text) if self.located.written(loc) else problem


def lint_issue(parsed: Parsed, project: Project, *, now: datetime) -> Iterator[Problem]:
    """Problems beyond the schema: links, images, embargoes, wording, schedule.

    Looks at the file's data as written (``Parsed.data``), so an issue with schema errors is
    linted too, as far as its values have the right shape: every problem shows in one run.
    """
    data = parsed.data
    if data is None:
        return
    where = _Locator(parsed.path, parsed.located)
    yield from _lint_wording(data, where)
    yield from _lint_plain_text(data, where)
    yield from _lint_links(data, where)
    yield from _lint_stories(data, project, where, now)


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) else None


def _fields(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _stories(data: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    stories = data.get("stories")
    for i, story in enumerate(stories if isinstance(stories, list) else []):
        if isinstance(story, dict):
            yield i, story


def _moment(value: object) -> datetime | None:
    """A time as validated (aware ``datetime``) or as written with an offset, else ``None``."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return value if isinstance(value, datetime) and value.tzinfo is not None else None


def _lint_wording(data: dict[str, Any], where: _Locator) -> Iterator[Problem]:
    subject = _text(data.get("subject"))
    if subject is not None and SUBJECT_LIMIT < len(subject) <= SUBJECT_MAX:
        yield where.at(
            ("subject",),
            f"subject is {len(subject)} characters; phones show about "
            f"{SUBJECT_LIMIT}, so the end may be cut off",
            "warning",
        )
    if not data.get("preheader"):
        yield where.at(
            (), "no preheader: inboxes will show the first words of the email instead", "warning"
        )
    if data.get("status") == "ready" and not data.get("send_at"):
        yield where.at(
            ("status",),
            "status is ready but there is no send_at: no scheduled run will ever send it; "
            "add send_at, or send it by hand with newsletter send",
            "warning",
            codes.READY_WITHOUT_SEND_AT,
        )


def _plain_fields(data: dict[str, Any]) -> Iterator[tuple[Loc, object]]:
    for name in ("subject", "preheader"):
        yield (name,), data.get(name)
    cta = _fields(data.get("call_to_action"))
    for name in ("heading", "button_label"):
        yield ("call_to_action", name), cta.get(name)
    for i, story in _stories(data):
        yield ("stories", i, "title"), story.get("title")
        for part, names in (
            ("researcher", ("name", "role", "institution")),
            ("quote", ("text", "attribution", "role")),
            ("image", ("alt",)),
            ("link", ("label",)),
        ):
            holder = _fields(story.get(part))
            for name in names:
                yield ("stories", i, part, name), holder.get(name)


def _lint_plain_text(data: dict[str, Any], where: _Locator) -> Iterator[Problem]:
    for loc, value in _plain_fields(data):
        text = _text(value)
        for pattern, what in PRINTED_AS_TYPED if text else ():
            found = pattern.search(text or "")
            if found:
                yield where.at(
                    loc,
                    f"{found.group(0)} is {what}, which is printed as typed in this "
                    "plain-text field; remove it (Markdown fields are intro, summary and "
                    "call_to_action.text)",
                    "warning",
                    codes.PRINTED_AS_TYPED,
                )
                break


def _lint_links(data: dict[str, Any], where: _Locator) -> Iterator[Problem]:
    for loc, url in _links(data):
        if url.startswith("http://"):
            yield where.at(
                loc, "link is not https://; use the secure address", code=codes.NOT_HTTPS
            )
    for loc, label in _labels(data):
        if VAGUE_LINK_TEXT.match(label):
            yield where.at(
                loc,
                f"link text {label!r} says nothing out of context; name where it "
                "goes (screen readers list links by their text)",
                "warning",
            )


def _lint_stories(
    data: dict[str, Any], project: Project, where: _Locator, now: datetime
) -> Iterator[Problem]:
    send_at = _moment(data.get("send_at"))
    for i, story in _stories(data):
        embargo = _moment(story.get("embargo_until"))
        if embargo is not None:
            yield from _lint_embargo(send_at, embargo, ("stories", i, "embargo_until"), where, now)


def _lint_embargo(
    send_at: datetime | None, embargo: datetime, loc: Loc, where: _Locator, now: datetime
) -> Iterator[Problem]:
    """An error when the embargo lifts after send_at, a warning when less than an hour before."""
    if send_at is not None and embargo > send_at:
        yield where.at(
            loc,
            f"embargo {embargo.isoformat()} is later than send_at "
            f"{send_at.isoformat()}: the issue would go out too early",
            code=codes.EMBARGO_AFTER_SEND,
        )
    elif send_at is not None and send_at - embargo < EMBARGO_MARGIN:
        yield where.at(
            loc,
            f"embargo {embargo.isoformat()} lifts less than an hour before send_at "
            f"{send_at.isoformat()}: an earlier send_at would break it; leave more time",
            "warning",
            codes.EMBARGO_CLOSE,
        )
    elif send_at is None and embargo > now:
        yield where.at(
            loc,
            f"embargoed until {embargo.isoformat()}; it cannot be sent before then",
            "warning",
            codes.EMBARGO_IN_FORCE,
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


def _markdown_fields(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    fields: list[tuple[Loc, object]] = [(("intro",), data.get("intro"))]
    fields += [(("stories", i, "summary"), story.get("summary")) for i, story in _stories(data)]
    fields.append((("call_to_action", "text"), _fields(data.get("call_to_action")).get("text")))
    for loc, value in fields:
        if isinstance(value, str):
            yield loc, value


def _link_fields(data: dict[str, Any], name: str, cta_name: str) -> Iterator[tuple[Loc, str]]:
    for i, story in _stories(data):
        value = _text(_fields(story.get("link")).get(name))
        if value is not None:
            yield ("stories", i, "link", name), value
    value = _text(_fields(data.get("call_to_action")).get(cta_name))
    if value is not None:
        yield ("call_to_action", cta_name), value


def _links(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    yield from _link_fields(data, "url", "url")
    for loc, source in _markdown_fields(data):
        for href, _ in _markdown_links(source):
            yield loc, href


def _labels(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    yield from _link_fields(data, "label", "button_label")
    for loc, source in _markdown_fields(data):
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
