"""The staff preview over HTTP: issue list, frames, text, problems, reload, protection."""

# selectolax's css_first() returns Node | None; a missing node fails the test all the same.
# mypy: disable-error-code="union-attr"
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from starlette.types import ASGIApp

from mailer.settings import Project
from mailer.web import create_app, create_preview_app
from mailer.web.app import PREVIEW_PASSWORD_ENV

Serve = Callable[[ASGIApp], httpx.Client]
RESEARCH = "2026-12-secondary-research.yaml"
APPEAL = "2026-12-winter-appeal.yaml"


@pytest.fixture
def preview(preview_project: Project, serve: Serve) -> httpx.Client:
    return serve(create_preview_app(preview_project))


def test_home_redirects_to_the_issue_list(preview: httpx.Client) -> None:
    response = preview.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/preview/"


def test_issue_list_links_every_issue(preview: httpx.Client) -> None:
    page = HTMLParser(preview.get("/preview/").text)
    links = [a.attributes["href"] for a in page.css("table.issues a")]
    assert links == [
        f"/preview/issue/{RESEARCH}",
        f"/preview/issue/{APPEAL}",
        "/preview/issue/zz-broken.yaml",
    ]


def test_issue_list_counts_errors(preview: httpx.Client) -> None:
    page = HTMLParser(preview.get("/preview/").text)
    broken = page.css("table.issues tbody tr")[-1]
    cells = [td.text(strip=True) for td in broken.css("td")]
    assert cells[1] == "invalid"
    assert int(cells[3]) > 0


def test_issue_shows_phone_and_desktop_frames(preview: httpx.Client) -> None:
    page = HTMLParser(preview.get(f"/preview/issue/{RESEARCH}").text)
    frames = page.css("iframe")
    assert [f.attributes["width"] for f in frames] == ["375", "600"]
    assert all(f.attributes["src"] == f"/preview/frame/{RESEARCH}" for f in frames)
    assert all(f.attributes["title"] for f in frames)
    assert all("allow-scripts" not in (f.attributes["sandbox"] or "") for f in frames)
    assert "No problems found." in page.css_first("section.preview-problems").text()


@pytest.mark.parametrize(("view", "widths"), [("phone", ["375"]), ("desktop", ["600"])])
def test_one_frame_views(preview: httpx.Client, view: str, widths: list[str]) -> None:
    page = HTMLParser(preview.get(f"/preview/issue/{RESEARCH}?view={view}").text)
    assert [f.attributes["width"] for f in page.css("iframe")] == widths
    assert page.css_first("a[aria-current=page]").text() == view.capitalize()


def test_text_view_shows_the_plain_text_part(preview: httpx.Client) -> None:
    page = HTMLParser(preview.get(f"/preview/issue/{APPEAL}?view=text").text)
    assert page.css("iframe") == []
    text = page.css_first("pre.text-part").text()
    assert text.startswith("Help us find treatments")
    assert "Dear Sam," in text  # the sample supporter
    assert "%%" not in text


def test_broken_issue_lists_problems_with_file_and_line(preview: httpx.Client) -> None:
    page = HTMLParser(preview.get("/preview/issue/zz-broken.yaml").text)
    problems = [li.text() for li in page.css("li.problem")]
    assert problems
    assert all(p.startswith("newsletters/zz-broken.yaml:") for p in problems)
    assert any("status" in p for p in problems)
    assert page.css("iframe") == []


def test_a_problem_shows_its_line_with_a_caret_under_the_spot(preview: httpx.Client) -> None:
    page = HTMLParser(preview.get("/preview/issue/zz-broken.yaml").text)
    (status,) = [li for li in page.css("li.problem") if "status" in li.text()]
    assert status.css_first("pre.excerpt").text() == "status: sent\n^"


def test_frame_is_the_email_with_its_own_policy(preview: httpx.Client) -> None:
    response = preview.get(f"/preview/frame/{RESEARCH}")
    csp = response.headers["content-security-policy"]
    assert response.status_code == 200
    assert "frame-ancestors 'self'" in csp
    assert "sandbox" in csp
    assert "script-src" not in csp
    assert "default-src 'none'" in csp
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "%%" not in response.text
    assert "https://news.example.org/media/" not in response.text


def test_frame_images_are_served_from_disk(preview: httpx.Client) -> None:
    html = preview.get(f"/preview/frame/{APPEAL}").text
    (copy,) = re.findall(r'src="(/media/resized/bone-scan-[0-9a-f]{16}\.png)"', html)
    image = preview.get(copy)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"


def test_pages_outside_the_frame_may_not_be_framed(preview: httpx.Client) -> None:
    headers = preview.get(f"/preview/issue/{RESEARCH}").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/preview/issue/missing.yaml",
        "/preview/issue/..%2fnewsletter.yaml",
        "/preview/frame/..%2f..%2fetc%2fpasswd",
        "/preview/frame/zz-broken.yaml",  # nothing to show until it renders
        "/preview/issue/images",
    ],
)
def test_unknown_or_unrenderable_names_are_404(preview: httpx.Client, path: str) -> None:
    assert preview.get(path).status_code == 404


def test_edits_show_on_the_next_load(preview: httpx.Client, preview_project: Project) -> None:
    path = preview_project.newsletters / APPEAL
    path.write_text(path.read_text().replace("Help us find", "Please help us find"))
    page = HTMLParser(preview.get(f"/preview/issue/{APPEAL}").text)
    assert page.css_first("h1").text().startswith("Please help us find")


def test_version_changes_when_a_file_changes(
    preview: httpx.Client, preview_project: Project
) -> None:
    before = preview.get("/preview/version").json()["version"]
    path = preview_project.newsletters / RESEARCH
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert preview.get("/preview/version").json()["version"] != before


def test_reload_script_is_an_external_file(preview: httpx.Client) -> None:
    page = HTMLParser(preview.get(f"/preview/issue/{RESEARCH}").text)
    script = page.css_first("script")
    assert script.attributes["src"] == "/assets/preview.js"
    assert script.text() == ""
    response = preview.get("/assets/preview.js")
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "/preview/version" in response.text


def test_serve_has_no_preview_without_a_password(preview_project: Project, serve: Serve) -> None:
    http = serve(create_app(preview_project, environ={}))
    assert http.get("/preview/").status_code == 404


@pytest.mark.parametrize(
    ("auth", "status"),
    [(None, 401), (("staff", "wrong"), 401), (("staff", "correct horse"), 200)],
)
def test_serve_protects_the_preview_with_the_password(
    preview_project: Project, serve: Serve, auth: tuple[str, str] | None, status: int
) -> None:
    http = serve(create_app(preview_project, environ={PREVIEW_PASSWORD_ENV: "correct horse"}))
    response = http.get("/preview/", auth=auth)
    assert response.status_code == status
    if status == 401:
        assert response.headers["www-authenticate"] == 'Basic realm="preview"'


def test_newsletter_preview_runs_on_localhost(preview_project: Project) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [str(Path(sys.executable).with_name("newsletter")), "--project"]
    command += [str(preview_project.root), "preview", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            while True:
                try:
                    response = http.get("/preview/")
                    break
                except httpx.TransportError:
                    assert process.poll() is None
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
        assert response.status_code == 200
        assert "Issues in newsletters/" in response.text
    finally:
        process.terminate()
        process.wait(timeout=10)
