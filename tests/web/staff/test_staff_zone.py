"""The console shows times in the charity's time zone: ``timezone:`` in newsletter.yaml, else
Europe/London (stored times stay UTC)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from mailer.settings import Project, load_project
from subscribers.keys import AddressHasher
from subscribers.records import Consent
from subscribers.store import subscribe
from tests.plugins.staff import REPO, STAFF_SECRET, Console

#: The zone setting, and how the fixed clock's 2 Mar 2026 09:30 UTC reads in it.
ZONES = {None: "2 Mar 2026 09:30 GMT", "Pacific/Auckland": "2 Mar 2026 22:30 NZDT"}


@pytest.fixture(params=list(ZONES))
def staff_project(tmp_path: Path, request: pytest.FixtureRequest) -> Project:
    """The console's project, with or without a ``timezone:`` setting."""
    root = tmp_path / "staff-project"
    root.mkdir()
    settings = (REPO / "newsletter.yaml").read_text()
    settings = settings.replace("base_url: https://", "base_url: http://")
    if request.param is not None:
        settings += f"\ntimezone: {request.param}\n"
    (root / "newsletter.yaml").write_text(settings)
    shutil.copytree(REPO / "newsletters", root / "newsletters")
    (root / "templates").symlink_to(REPO / "templates", target_is_directory=True)
    return load_project(root)


def test_the_audit_log_shows_times_in_the_charitys_zone(console: Console) -> None:
    http = console.client("admin@example.org", "admin")
    page = HTMLParser(http.get("/staff/audit").text)
    cell = page.css_first("table tbody tr td:nth-child(2)")
    assert cell is not None
    assert cell.text(strip=True) == ZONES[console.project.settings.timezone]


def test_a_supporters_consent_and_history_show_times_in_the_charitys_zone(
    console: Console,
) -> None:
    ann = subscribe(
        console.engine,
        "ann@example.org",
        "research-news",
        consent=Consent(source="form", wording="Yes please"),
        hasher=AddressHasher((STAFF_SECRET.encode(),)),
        who="test",
        confirmed=True,
        now=console.clock(),
    )
    http = console.client("op@example.org", "operator")
    page = HTMLParser(http.get(f"/staff/supporters/{ann.public_id}").text)
    first_cells = {
        caption.text(): node.css("tbody tr td")[0].text(strip=True)
        for node in page.css("table.data")
        if (caption := node.css_first("caption")) is not None
    }
    when = [first_cells["Consent records"], first_cells["History from the audit log"]]
    assert when == [ZONES[console.project.settings.timezone]] * 2
