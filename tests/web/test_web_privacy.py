"""The privacy notice: required in newsletter.yaml, linked from the signup form, every email's
footer (HTML and plain text) and the confirmation email."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from mailer.content.issue import load_issue
from mailer.errors import SettingsError
from mailer.render.view import render_issue
from mailer.settings import Project, load_project, load_settings
from tests.plugins.content import ROOT, SAMPLES
from tests.plugins.supporters import Site, text_of

PRIVACY = "https://www.example.org/privacy"
VALID = {"email": "ada@example.com", "first_name": "Ada", "lists": ["research-news"]}


def test_the_sample_project_names_its_privacy_notice() -> None:
    settings = load_settings(ROOT / "newsletter.yaml")
    assert settings.organisation.privacy_url == PRIVACY


@pytest.mark.parametrize(
    ("value", "message"),
    [(None, "Field required"), ("http://www.example.org/privacy", "should match pattern")],
)
def test_privacy_url_is_required_and_https(tmp_path: Path, value: str | None, message: str) -> None:
    text = (ROOT / "newsletter.yaml").read_text(encoding="utf-8")
    line = f"  privacy_url: {PRIVACY}\n"
    assert line in text
    text = text.replace(line, "" if value is None else f"  privacy_url: {value}\n")
    path = tmp_path / "newsletter.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    [problem] = caught.value.problems
    assert "organisation.privacy_url" in str(problem)
    assert message in str(problem)


@pytest.fixture(scope="module")
def sample_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("privacy")
    shutil.copy(ROOT / "newsletter.yaml", root / "newsletter.yaml")
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copytree(ROOT / "newsletters", root / "newsletters")
    return load_project(root)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.stem)
def test_every_email_footer_links_to_the_privacy_notice(
    sample_project: Project, path: Path
) -> None:
    email = render_issue(load_issue(path, sample_project), sample_project)
    links = {a.text(strip=True): a.attributes.get("href") for a in HTMLParser(email.html).css("a")}
    assert links["Privacy notice"] == PRIVACY
    footer = email.text.split("-" * 72)[-1]
    assert f"Privacy notice: {PRIVACY}" in footer.splitlines()


def test_signup_form_and_every_page_link_to_the_privacy_notice(site: Site) -> None:
    page = HTMLParser(site.http.get("/subscribe").text)
    form_links = [a.attributes.get("href") for a in page.css("form a")]
    assert PRIVACY in form_links
    footer_links = [a.attributes.get("href") for a in page.css("footer a")]
    assert PRIVACY in footer_links


def test_confirmation_email_links_to_the_privacy_notice(site: Site) -> None:
    site.post_form("/subscribe", {**VALID, "consent": "yes"})
    [message] = site.messages("confirm")
    part = message.get_body(("html",))
    assert part is not None
    hrefs = [a.attributes.get("href") for a in HTMLParser(part.get_content()).css("a")]
    assert PRIVACY in hrefs
    assert re.search(
        rf"^How we look after your details: {re.escape(PRIVACY)}$", text_of(message), re.M
    )
