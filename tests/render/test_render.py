"""Rendering: what a supporter's mail client receives, checked by parsing the output."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from mailer.content.issue import load_issue
from mailer.errors import RenderError
from mailer.render.email import (
    ALL_TAGS,
    FIRST_NAME_HTML,
    FIRST_NAME_TEXT,
    PREFERENCES_URL,
    UNSUBSCRIBE_URL,
    Email,
    personalise,
    substitutions,
)
from mailer.render.view import render_issue
from mailer.settings import Project, load_project
from tests.plugins.content import ISSUE_DATA, ROOT

DIGEST = ROOT / "newsletters" / "2026-12-secondary-research.yaml"
APPEAL = ROOT / "newsletters" / "2026-12-winter-appeal.yaml"
UTILITY = {UNSUBSCRIBE_URL, PREFERENCES_URL}
PRIVACY_NOTICE = "https://www.example.org/privacy"  # newsletter.yaml's, a utility link too


@pytest.fixture(scope="module")
def digest(project: Project) -> Email:
    return render_issue(load_issue(DIGEST, project), project)


def test_html_has_lang_title_and_preheader(digest: Email) -> None:
    tree = HTMLParser(digest.html)
    html = tree.css_first("html")
    assert html is not None
    assert html.attributes["lang"] == "en-GB"
    title = tree.css_first("title")
    assert title is not None
    assert title.text() == digest.subject
    assert "Three projects, two lab breakthroughs" in tree.body.text()  # type: ignore[union-attr]
    assert digest.preheader.startswith("Three projects")


def test_html_is_dark_mode_friendly(digest: Email) -> None:
    assert '<meta name="color-scheme" content="light dark">' in digest.html
    assert "prefers-color-scheme: dark" in digest.html


def test_every_story_title_quote_and_attribution_is_in_the_html(
    digest: Email, project: Project
) -> None:
    issue = load_issue(DIGEST, project)
    text = HTMLParser(digest.html).body.text()  # type: ignore[union-attr]
    for story in issue.stories:
        assert story.title in text
        if story.quote:
            assert story.quote.text in text
            assert story.quote.attribution in text


def test_every_image_has_alt_text(digest: Email) -> None:
    images = HTMLParser(digest.html).css("img")
    assert images
    for img in images:
        assert "alt" in img.attributes
    alts = [img.attributes["alt"] for img in images]
    assert "A bone scan of a patient's skeleton with areas of cancer highlighted." in alts


def test_local_images_become_absolute_media_urls(digest: Email) -> None:
    sources = [str(img.attributes["src"]) for img in HTMLParser(digest.html).css("img")]
    resized = r"https://news\.example\.org/media/resized/bone-scan-[0-9a-f]{16}\.png"
    assert any(re.fullmatch(resized, src) for src in sources)


def test_decorative_image_has_empty_alt(project: Project) -> None:
    email = render_issue(load_issue(APPEAL, project), project)
    imgs = [i for i in HTMLParser(email.html).css("img") if "bone-scan" in str(i.attributes["src"])]
    assert imgs
    assert imgs[0].attributes["alt"] == ""


def _links(html: str) -> list[tuple[str, dict[str, str | None]]]:
    return [(str(a.attributes.get("href")), dict(a.attributes)) for a in HTMLParser(html).css("a")]


def test_content_links_carry_utm_parameters(digest: Email) -> None:
    content = [
        href
        for href, _ in _links(digest.html)
        if href not in UTILITY
        and not href.startswith(("https://doi.org/", digest.view_url, PRIVACY_NOTICE))
    ]
    assert len(content) >= 3  # logo, story link, call to action
    for href in content:
        query = parse_qs(urlsplit(href).query)
        assert query["utm_source"] == ["newsletter"], href
        assert query["utm_medium"] == ["email"], href
        assert query["utm_campaign"] == ["2026-12-secondary-research"], href


def test_unsubscribe_and_preferences_links_have_no_utm_and_no_click_tracking(
    digest: Email,
) -> None:
    found = {href: attrs for href, attrs in _links(digest.html) if href in UTILITY}
    assert set(found) == UTILITY
    for attrs in found.values():
        assert attrs["clicktracking"] == "off"


def test_footer_has_postal_address_charity_number_and_view_link(
    digest: Email, project: Project
) -> None:
    org = project.settings.organisation
    text = HTMLParser(digest.html).body.text()  # type: ignore[union-attr]
    assert org.postal_address in text
    assert org.charity_number in text
    assert "https://news.example.org/archive/2026-12-secondary-research" in digest.html


def test_placeholders_are_substitution_tags_never_jinja_style(digest: Email) -> None:
    for tag in (FIRST_NAME_HTML, UNSUBSCRIBE_URL, PREFERENCES_URL):
        assert tag in digest.html
    for tag in (FIRST_NAME_TEXT, UNSUBSCRIBE_URL, PREFERENCES_URL):
        assert tag in digest.text
    assert FIRST_NAME_TEXT not in digest.html
    assert FIRST_NAME_HTML not in digest.text
    assert "{{" not in digest.html
    assert "{{" not in digest.text


def test_html_is_under_gmail_clipping_size(digest: Email) -> None:
    assert digest.html_bytes < 102 * 1024


def test_text_part_has_every_story_quote_and_link(digest: Email, project: Project) -> None:
    issue = load_issue(DIGEST, project)
    for story in issue.stories:
        assert story.title in digest.text
        if story.quote:
            assert story.quote.attribution in digest.text
        if story.link:
            assert story.link.url in digest.text
        if story.doi:
            assert f"https://doi.org/{story.doi}" in digest.text
    assert "Give to breast cancer research:\nhttps://www.example.org/donate?" in digest.text
    assert project.settings.organisation.postal_address in digest.text
    assert max(len(line) for line in digest.text.splitlines() if "://" not in line) <= 90


def test_first_name_with_markup_is_escaped_in_html_and_raw_in_text(digest: Email) -> None:
    values = substitutions("<b>Eve</b> & co", "https://x/u/T", "https://x/p/T")
    html = personalise(digest.html, values)
    text = personalise(digest.text, values)
    assert "Dear &lt;b&gt;Eve&lt;/b&gt; &amp; co," in html
    assert "<b>Eve</b>" not in html
    assert "Dear <b>Eve</b> & co," in text
    assert not any(tag in html or tag in text for tag in ALL_TAGS)


def test_missing_first_name_falls_back(digest: Email) -> None:
    html = personalise(digest.html, substitutions(None, "https://x/u/T", "https://x/p/T"))
    assert "Dear friend," in html


def test_content_is_data_never_template_code(project: Project) -> None:
    email = render_issue(load_issue(ISSUE_DATA / "injection.yaml", project), project)
    tree = HTMLParser(email.html)
    assert tree.css_first("title").text() == "{{ 7*7 }} and <b>bold</b>"  # type: ignore[union-attr]
    body = tree.body.text()  # type: ignore[union-attr]
    assert "{% include '/etc/passwd' %} <img src=x onerror=alert(1)>" in body
    assert "{{ 7*7 }}" in body
    assert "49" not in body
    assert "root:" not in email.html
    assert not tree.css("script")
    assert not tree.css("iframe")
    assert not [i for i in tree.css("img") if i.attributes.get("src") == "x"]
    assert not [a for a in tree.css("a") if "javascript" in str(a.attributes.get("href"))]
    # text from the file can never form a substitution tag
    assert email.html.count(UNSUBSCRIBE_URL) == 1
    assert email.text.count(UNSUBSCRIBE_URL) == 1


def test_markdown_is_rendered_and_sanitised(project: Project) -> None:
    email = render_issue(load_issue(DIGEST, project), project)
    assert "<strong>secondary breast cancer</strong>" in email.html


def test_padding_shorthands_never_use_a_unitless_zero(digest: Email, project: Project) -> None:
    appeal = render_issue(load_issue(APPEAL, project), project)
    for source in (digest.mjml, appeal.mjml):
        for value in re.findall(r'padding="([^"]*)"', source):
            assert not re.search(r"(^|\s)0(\s|$)", value), value


def test_broken_template_names_the_template_file_and_line(project_copy: Path) -> None:
    partial = project_copy / "templates" / "email" / "partials" / "cta.mjml.j2"
    partial.write_text(partial.read_text().replace("</mj-column>", "", 1))
    proj = load_project(project_copy)
    with pytest.raises(RenderError) as caught:
        render_issue(load_issue(project_copy / "newsletters" / DIGEST.name, proj), proj)
    message = str(caught.value)
    assert "templates/email/partials/cta.mjml.j2:" in message
    assert "MJML compiler" in message


def test_preheader_is_hidden_without_a_colour_trick_and_padded(digest: Email) -> None:
    """Hidden by display and size (Outlook: mso-hide), never white-on-white; filler after it."""
    tree = HTMLParser(digest.html)
    hidden = [
        node for node in tree.css("div") if "display:none" in (node.attributes.get("style") or "")
    ]
    assert len(hidden) == 1
    style = hidden[0].attributes["style"] or ""
    for rule in ("display:none", "max-height:0", "overflow:hidden", "mso-hide:all"):
        assert rule in style
    assert "color" not in style
    text = hidden[0].text()
    assert text.startswith(digest.preheader)
    filler = text[len(digest.preheader) :]
    assert len(filler) >= 150
    assert set(filler) == {"\u034f", "\u200c", "\u00a0"}
    assert digest.html.index("Three projects") < digest.html.index("View this email")
