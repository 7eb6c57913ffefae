"""Both sample issues in headless Chromium, light and dark, phone and desktop widths.

Every visible text (and image alt text, which shows when images are blocked) must reach WCAG AA
against the background it is painted on (4.5:1; 3:1 for large text) and be at least 14 px. The
check runs in the page (``contrast.js``): one ``evaluate`` per case.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import Browser, Page, Route

from mailer.content.issue import load_issue
from mailer.render.view import render_issue
from mailer.settings import Project, load_project
from tests.plugins.content import SAMPLES

pytestmark = pytest.mark.browser
CHECK = (Path(__file__).parent / "contrast.js").read_text(encoding="utf-8")
Scheme = Literal["light", "dark"]


@pytest.fixture(scope="module")
def rendered(project: Project) -> dict[str, str]:
    return {path.stem: render_issue(load_issue(path, project), project).html for path in SAMPLES}


def _offline(route: Route) -> None:
    route.abort()  # no network: images are blocked, so their alt text is what shows


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest) -> Scheme:
    value: Scheme = request.param
    return value


@pytest.fixture(params=[375, 600])
def email_page(browser: Browser, scheme: Scheme, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": request.param, "height": 900}, color_scheme=scheme
    )
    try:
        page = context.new_page()
        page.route("**/*", _offline)
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("issue", [path.stem for path in SAMPLES])
def test_every_text_reads_at_aa_and_14px(
    email_page: Page, rendered: dict[str, str], issue: str, scheme: Scheme
) -> None:
    email_page.set_content(rendered[issue], wait_until="domcontentloaded")
    result = email_page.evaluate(CHECK)
    assert result["checked"] >= 10, "the check found almost no text: is the page empty?"
    failures = "\n".join(result["failures"])
    assert not result["failures"], f"{issue}, {scheme}:\n{failures}"


def test_header_and_footer_go_dark_with_the_cards(
    browser: Browser, rendered: dict[str, str]
) -> None:
    """No light/dark/light sandwich: the page behind the header and footer is dark too."""
    context = browser.new_context(viewport={"width": 600, "height": 900}, color_scheme="dark")
    try:
        page = context.new_page()
        page.route("**/*", _offline)
        page.set_content(rendered[SAMPLES[0].stem], wait_until="domcontentloaded")
        colours = page.evaluate(
            """() => [...document.querySelectorAll('a')]
                .filter(a => /View this email|Unsubscribe/.test(a.textContent))
                .map(a => {
                    let node = a;
                    while (getComputedStyle(node).backgroundColor === 'rgba(0, 0, 0, 0)')
                        node = node.parentElement;
                    return getComputedStyle(node).backgroundColor;
                })"""
        )
    finally:
        context.close()
    assert len(colours) == 2
    assert colours == ["rgb(18, 18, 18)", "rgb(18, 18, 18)"]


def test_another_brand_gets_its_own_dark_counterparts(browser: Browser, project_copy: Path) -> None:
    """Dark-mode colours are derived from whatever brand colours newsletter.yaml holds."""
    settings = project_copy / "newsletter.yaml"
    text = settings.read_text(encoding="utf-8")
    for old, new in (("#6b1f73", "#14213d"), ("#c2185b", "#7a0019"), ("#555555", "#595959")):
        assert f'"{old}"' in text
        text = text.replace(f'"{old}"', f'"{new}"')
    settings.write_text(text, encoding="utf-8")
    project = load_project(project_copy)
    html = render_issue(load_issue(SAMPLES[0], project), project).html
    context = browser.new_context(viewport={"width": 375, "height": 900}, color_scheme="dark")
    try:
        page = context.new_page()
        page.route("**/*", _offline)
        page.set_content(html, wait_until="domcontentloaded")
        result = page.evaluate(CHECK)
    finally:
        context.close()
    assert not result["failures"], "\n".join(result["failures"])
