"""The preview as a supporter meets the issue: inbox line, sample supporter, dark mode, errors."""

# selectolax's css_first() returns Node | None; a missing node fails the test all the same.
# mypy: disable-error-code="union-attr"
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from starlette.types import ASGIApp

from mailer.settings import Project
from mailer.web import create_preview_app
from mailer.web.inbox import cut
from mailer.web.preview import DARK_RULES

Serve = Callable[[ASGIApp], httpx.Client]
RESEARCH = "2026-12-secondary-research.yaml"
PARTIAL = "zz-partial.yaml"


@pytest.fixture
def preview(preview_project: Project, serve: Serve) -> httpx.Client:
    return serve(create_preview_app(preview_project))


def write_partial(project: Project) -> Path:
    """The research digest with a typo in its first story's kind and an unknown field."""
    text = (project.newsletters / RESEARCH).read_text(encoding="utf-8")
    text = text.replace("  - kind: research\n", "  - kind: reserch\n", 1)
    text = text.replace("preheader:", "colour: pink\npreheader:", 1)
    path = project.newsletters / PARTIAL
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Ribbon Research Trust", 25, "Ribbon Research Trust"),
        (
            "Research news: stopping secondary breast cancer in its tracks",
            35,
            "Research news: stopping secondary…",
        ),
        ("Supercalifragilisticexpialidocious news", 20, "Supercalifragilisti…"),
        ("Two  lines\nof   text", 90, "Two lines of text"),
        ("A list, with commas, cut here", 21, "A list, with commas…"),
    ],
)
def test_cut_at_a_word_with_an_ellipsis(text: str, limit: int, expected: str) -> None:
    assert cut(text, limit) == expected
    assert len(cut(text, limit)) <= limit


def test_the_inbox_line_shows_sender_subject_and_preheader_as_a_phone_cuts_them(
    preview: httpx.Client,
) -> None:
    page = HTMLParser(preview.get(f"/preview/issue/{RESEARCH}").text)
    line = page.css_first(".inbox-line")
    assert [p.text(strip=True) for p in line.css("p")] == [
        "Ribbon Research Trust",
        "Research news: stopping secondary…",
        "Three projects, two lab breakthroughs and a blood test that reads tumours' clocks.",
    ]


def test_without_a_preheader_the_inbox_shows_the_first_words(
    preview: httpx.Client, preview_project: Project
) -> None:
    path = preview_project.newsletters / RESEARCH
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("preheader:")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page = HTMLParser(preview.get(f"/preview/issue/{RESEARCH}").text)
    preheader = page.css_first(".inbox-preheader").text(strip=True)
    assert preheader.startswith("Research news: stopping secondary breast cancer")
    assert preheader.endswith("…")
    assert len(preheader) <= 90
    assert "no preheader" in page.css_first("section.inbox .hint").text().lower()


def test_the_email_is_shown_to_the_sample_supporter_sam(preview: httpx.Client) -> None:
    html = preview.get(f"/preview/frame/{RESEARCH}").text
    assert "Dear Sam," in html
    assert "%%" not in html


def test_the_dark_link_renders_the_frames_with_the_dark_palette(preview: httpx.Client) -> None:
    page = HTMLParser(preview.get(f"/preview/issue/{RESEARCH}?scheme=dark").text)
    frames = [f.attributes["src"] for f in page.css("iframe")]
    assert frames == [f"/preview/frame/{RESEARCH}?scheme=dark"] * 2
    assert page.css_first("nav.schemes a[aria-current=page]").text() == "Dark"
    dark = preview.get(f"/preview/frame/{RESEARCH}?scheme=dark").text
    light = preview.get(f"/preview/frame/{RESEARCH}").text
    assert DARK_RULES in light
    assert DARK_RULES not in dark
    assert "@media all" in dark


def test_an_issue_with_errors_shows_what_it_can_with_the_problems_beside(
    preview: httpx.Client, preview_project: Project
) -> None:
    write_partial(preview_project)
    page = HTMLParser(preview.get(f"/preview/issue/{PARTIAL}").text)
    problems = [li.text() for li in page.css(".preview-problems li.problem")]
    assert any("stories[0].kind" in p for p in problems)
    assert any("colour: unknown field" in p for p in problems)
    notice = page.css_first(".notice.partial").text()
    assert "shown without colour, story 1" in notice
    assert len(page.css(".preview-main iframe")) == 2
    frame = preview.get(f"/preview/frame/{PARTIAL}")
    assert frame.status_code == 200
    assert "Following breast cancer" not in frame.text  # the story with the error
    assert "Knowing sooner whether treatment is working" in frame.text


def test_an_issue_with_nothing_to_show_lists_only_its_problems(preview: httpx.Client) -> None:
    page = HTMLParser(preview.get("/preview/issue/zz-broken.yaml").text)
    assert page.css("iframe") == []
    assert "Nothing of the email can be shown" in page.css_first(".preview-main").text()
    assert page.css(".preview-problems li.problem")
