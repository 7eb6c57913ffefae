"""The one-issue page's render diff against the last approved version, over HTTP.

Approve from the page, edit the issue file, and read what the page says changed: the fields
(``stories[0].title changed``) and a unified diff of the plain-text part, approved → now.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy import update

from mailer.send.tables import approvals
from subscribers.db import write_transaction
from tests.plugins.staff import Console

NAME = "2026-12-secondary-research.yaml"
PAGE = f"/staff/issues/{NAME}"
OLD_TITLE = "Following breast cancer's route to the brain"
NEW_TITLE = "Tracing how breast cancer reaches the brain"


def _approve(console: Console) -> HTMLParser:
    console.add("ann@example.org", "approver", name="Ann Approver")
    http = console.client("ann@example.org")
    answer = console.post(http, PAGE, f"{PAGE}/approve")
    assert "approved%20version" in answer.headers["location"], answer.headers["location"]
    return HTMLParser(http.get(PAGE).text)


def _edit_title(console: Console) -> HTMLParser:
    path = console.project.root / "newsletters" / NAME
    text = path.read_text(encoding="utf-8")
    assert f"title: {OLD_TITLE}\n" in text
    path.write_text(text.replace(f"title: {OLD_TITLE}\n", f"title: {NEW_TITLE}\n"), "utf-8")
    return HTMLParser(console.client("ed@example.org", "editor").get(PAGE).text)


def _text(page: HTMLParser, selector: str) -> str:
    node = page.css_first(selector)
    assert node is not None, f"no {selector} on the page"
    return node.text()


def test_an_edited_title_shows_in_the_fields_and_the_text_diff(console: Console) -> None:
    _approve(console)
    page = _edit_title(console)
    assert "stories[0].title changed" in _text(page, "#changes")
    removed = [node.text() for node in page.css("#text-diff .del")]
    added = [node.text() for node in page.css("#text-diff .add")]
    assert any(OLD_TITLE in line and line.startswith("-") for line in removed), removed
    assert any(NEW_TITLE in line and line.startswith("+") for line in added), added
    assert "approved by Ann Approver" in _text(page, "#text-diff")


def test_nothing_changed_says_the_approved_version_is_what_would_be_sent(
    console: Console,
) -> None:
    page = _approve(console)
    assert "approved version is what would be sent" in _text(page, "#unchanged")
    assert page.css_first("#text-diff") is None
    assert page.css_first("#changed-since") is None


def test_an_approval_kept_without_its_text_says_the_diff_is_not_available(
    console: Console,
) -> None:
    _approve(console)
    with write_transaction(console.engine) as connection:  # as approvals were before the text
        connection.execute(update(approvals).values(text_part=None))
    page = _edit_title(console)
    assert "stories[0].title changed" in _text(page, "#changes")
    assert page.css_first("#text-diff") is None
    assert "not available" in _text(page, "#text-diff-note")


def test_text_in_the_diff_is_html_escaped(console: Console) -> None:
    _approve(console)
    path = console.project.root / "newsletters" / NAME
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"title: {OLD_TITLE}\n", "title: A <b>bold</b> claim\n"), "utf-8")
    html = console.client("ed@example.org", "editor").get(PAGE).text
    page = HTMLParser(html)
    assert page.css_first("#text-diff b") is None
    assert any("<b>bold</b>" in node.text() for node in page.css("#text-diff .add"))
