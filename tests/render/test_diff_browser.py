"""`newsletter diff` takes phone, desktop and dark-mode screenshots of before and after.

The command runs as its own process (as CI runs it): it starts its own Chromium through
Playwright, which must not share a thread with the test session's browser.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tests.plugins.content import ROOT
from tests.plugins.web import CHROMIUM
from tests.processes import NEWSLETTER
from tests.render.gitproject import SECONDARY, init_repo, retitle

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WIDTHS = {"phone": 375, "desktop": 600, "dark": 375}


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (no imaging library needed)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """One run over a changed title: the report folder and the JSON the command printed."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    project = tmp_path_factory.mktemp("diff") / "project"
    project.mkdir()
    shutil.copy(ROOT / "newsletter.yaml", project / "newsletter.yaml")
    for folder in ("newsletters", "templates"):
        shutil.copytree(ROOT / folder, project / folder)
    init_repo(project)
    retitle(project)
    out = project.parent / "report"
    result = subprocess.run(
        [NEWSLETTER, "--project", str(project), "diff", "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # a browser was there: no "text parts only"
    data: dict[str, object] = json.loads(result.stdout)
    return out, data


def _shots(report: tuple[Path, dict[str, object]]) -> dict[str, dict[str, str]]:
    issues = report[1]["issues"]
    assert isinstance(issues, list)
    shots: dict[str, dict[str, str]] = next(i for i in issues if i["id"] == SECONDARY)[
        "screenshots"
    ]
    return shots


@pytest.mark.parametrize("side", ["before", "after"])
@pytest.mark.parametrize("view", list(WIDTHS))
def test_each_screenshot_exists_at_its_width(
    report: tuple[Path, dict[str, object]], side: str, view: str
) -> None:
    path = report[0] / _shots(report)[side][view]
    width, height = png_size(path)
    assert width == WIDTHS[view]
    assert height > 900  # the whole email, not the first screen


@pytest.mark.parametrize("side", ["before", "after"])
def test_dark_mode_differs_from_light(report: tuple[Path, dict[str, object]], side: str) -> None:
    shots = _shots(report)[side]
    assert (report[0] / shots["dark"]).read_bytes() != (report[0] / shots["phone"]).read_bytes()


def test_before_and_after_differ(report: tuple[Path, dict[str, object]]) -> None:
    shots = _shots(report)
    before, after = (report[0] / shots[side]["desktop"] for side in ("before", "after"))
    assert before.read_bytes() != after.read_bytes()


def test_the_page_shows_them_by_relative_links_and_loads_nothing_remote(
    report: tuple[Path, dict[str, object]],
) -> None:
    page = (report[0] / "index.html").read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"#]+)"', page)
    assert len([s for s in sources if s.endswith(".png")]) == 12  # 2 sides x 3 views, img + link
    assert all(s.startswith("screenshots/") for s in sources), sources
    assert "<script" not in page
    assert "<link" not in page
