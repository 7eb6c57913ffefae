"""Accessible structure of the HTML part, read back with an HTML parser.

One ``<h1>`` (the subject) before the story ``<h2>``s; no text under 14 px; the quote's bar on a
table cell (Outlook for Windows drops a div's border and padding); the logo's alt text styled
for when images are blocked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode

from mailer.content.issue import load_issue
from mailer.render.email import Email
from mailer.render.view import render_issue
from mailer.settings import Project
from tests.plugins.content import ISSUE_DATA, SAMPLES

ISSUES = [*SAMPLES, ISSUE_DATA / "stress-40.yaml"]
FONT_SIZE = re.compile(r"(?:^|;)\s*font-size\s*:\s*([\d.]+)px")


@pytest.fixture(scope="module", params=ISSUES, ids=lambda path: path.stem)
def email(project: Project, request: pytest.FixtureRequest) -> Email:
    path: Path = request.param
    return render_issue(load_issue(path, project), project)


def _style(node: LexborNode) -> str:
    return node.attributes.get("style") or ""


def _ancestors(node: LexborNode) -> list[LexborNode]:
    found = []
    parent = node.parent
    while parent is not None and parent.tag != "html":
        found.append(parent)
        parent = parent.parent
    return found


def test_one_h1_the_subject_before_every_h2(email: Email) -> None:
    tree = HTMLParser(email.html)
    headings = tree.css("h1, h2")
    h1s = [h for h in headings if h.tag == "h1"]
    assert len(h1s) == 1
    assert h1s[0].text(strip=True) == email.subject
    assert headings[0].tag == "h1"
    assert len(headings) > 1


def test_no_text_is_smaller_than_14px(email: Email) -> None:
    body = HTMLParser(email.html).body
    assert body is not None
    small = []
    for node in body.traverse(include_text=False):
        text = node.text(deep=False, strip=True)
        if not text or node.tag in {"style", "script"}:
            continue
        chain = [node, *_ancestors(node)]
        if any("display:none" in _style(n).replace(" ", "") for n in chain):
            continue  # the hidden preheader
        sizes = (FONT_SIZE.search(_style(n)) for n in chain)
        size = next((float(m.group(1)) for m in sizes if m), 16.0)
        if size < 14:
            small.append(f"<{node.tag}> {text[:40]!r}: {size}px")
    assert not small, "\n".join(small)


def test_the_kicker_and_muted_classes_are_at_least_14px(email: Email) -> None:
    tree = HTMLParser(email.html)
    cells = tree.css("td.kicker > div, td.muted > div")
    assert cells
    for div in cells:
        match = FONT_SIZE.search(_style(div))
        assert match is not None
        assert float(match.group(1)) >= 14, div.text()[:40]


def test_the_quote_bar_and_indent_are_on_a_table_cell(project: Project) -> None:
    appeal = next(path for path in SAMPLES if "appeal" in path.stem)
    issue = load_issue(appeal, project)
    quote = issue.stories[0].quote
    assert quote is not None
    tree = HTMLParser(render_issue(issue, project).html)
    assert not [div for div in tree.css("div") if "border-left" in _style(div)]
    cell = next(p for p in tree.css("p") if quote.text in p.text())
    bar = next(n for n in _ancestors(cell) if "border-left" in _style(n))
    assert bar.tag == "td"
    style = _style(bar).replace(" ", "")
    assert "border-left:4pxsolid" in style
    assert re.search(r"padding:\S*16px", style)


def test_the_logo_alt_text_is_styled_for_images_off(email: Email, project: Project) -> None:
    brand = project.settings.brand
    logos = [
        img
        for img in HTMLParser(email.html).css("img")
        if img.attributes.get("alt") == brand.logo_alt
    ]
    assert len(logos) == 1
    style = _style(logos[0])
    assert f"font-family:{brand.font_stack}" in style
    assert f"color:{brand.colours.primary}" in style
    match = FONT_SIZE.search(style)
    assert match is not None
    assert float(match.group(1)) >= 16
