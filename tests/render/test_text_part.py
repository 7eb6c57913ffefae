"""The plain-text part: every line within 72 characters except a URL on a line of its own."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from mailer.content.issue import load_issue
from mailer.render.email import Email, personalise, substitutions
from mailer.render.view import render_issue
from mailer.settings import Project, load_project
from tests.plugins.content import SAMPLES
from tests.render.rawmail import real_unsubscribe_url

WIDTH = 72
URL_LINE = re.compile(r"\(?https?://\S+?\)?[.,;:]?")
URL = re.compile(r"https?://[^\s)\"<>]+")
LONG_TITLE = (
    "How breast cancer cells go to the brain, and what a ten-year study of secondary "
    "tumours teaches us"
)  # its slug's 40th character is a hyphen
DIGEST = "2026-12-secondary-research.yaml"


def stress_issue(project_copy: Path) -> Email:
    """The digest with a long subject, title, role, link label and call to action."""
    path = project_copy / "newsletters" / DIGEST
    source = path.read_text(encoding="utf-8")
    for old, new in (
        (
            '"Research news: stopping secondary breast cancer in its tracks"',
            '"Research news: stopping secondary breast cancer in its tracks, and what our '
            'scientists learnt this winter about the brain and bone"',
        ),
        ("title: Following breast cancer's route to the brain", f'title: "{LONG_TITLE}"'),
        (
            "    tags: [secondary]\n  - kind: trial",
            "    link:\n      url: https://www.example.org/research/brain\n"
            "      label: Read more\n    tags: [secondary]\n  - kind: trial",
        ),
        ("role: Research fellow", "role: Research fellow in the laboratory of metastatic disease"),
        (
            "label: Read about the LEGACY study",
            "label: Read about the LEGACY study and the people who took part in it",
        ),
    ):
        assert old in source
        source = source.replace(old, new)
    path.write_text(source, encoding="utf-8")
    project = load_project(project_copy)
    return render_issue(load_issue(path, project), project)


def personalised_text(email: Email) -> str:
    url = real_unsubscribe_url()
    return personalise(email.text, substitutions("Sam", url, url.replace("/u/", "/p/")))


def long_lines(text: str) -> list[str]:
    return [
        line for line in text.splitlines() if len(line) > WIDTH and not URL_LINE.fullmatch(line)
    ]


def utm_contents(email: Email) -> list[str]:
    found = []
    for url in URL.findall(email.text + email.html):
        found += parse_qs(urlsplit(url.replace("&amp;", "&")).query).get("utm_content", [])
    return found


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.stem)
def test_sample_text_lines_fit_in_72_except_urls(project: Project, path: Path) -> None:
    email = render_issue(load_issue(path, project), project)
    assert long_lines(personalised_text(email)) == []


def test_stress_issue_text_lines_fit_in_72_except_urls(project_copy: Path) -> None:
    email = stress_issue(project_copy)
    text = personalised_text(email)
    assert long_lines(text) == []
    assert "RESEARCH: How breast cancer cells go to the brain, and what a ten-year\n" in text
    title_lines = text.splitlines()[:3]
    assert len(title_lines[2]) == max(len(title_lines[0]), len(title_lines[1]))
    assert set(title_lines[2]) == {"="}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.stem)
def test_sample_utm_content_never_ends_in_a_hyphen(project: Project, path: Path) -> None:
    email = render_issue(load_issue(path, project), project)
    contents = utm_contents(email)
    assert contents
    assert [value for value in contents if value.endswith("-") or len(value) > 40] == []
    if path.name == DIGEST:  # a title over 40 characters is cut after a whole word
        assert "a-molecular-clock-blood-test-to-track" in contents


def test_long_title_utm_content_is_cut_at_a_word_boundary(project_copy: Path) -> None:
    email = stress_issue(project_copy)
    assert "how-breast-cancer-cells-go-to-the-brain" in utm_contents(email)
    assert [value for value in utm_contents(email) if value.endswith("-")] == []
