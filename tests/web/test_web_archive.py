"""The web archive and Atom feed over HTTP, from campaigns in a real ledger."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from mailer.content.issue import load_issue
from mailer.render.email import Email
from mailer.render.view import render_issue
from mailer.send.campaigns import set_status, start_campaign
from mailer.send.states import CampaignState
from mailer.settings import load_project
from tests.plugins.supporters import Site

REPO = Path(__file__).resolve().parents[2]
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def issues() -> dict[str, Email]:
    project = load_project(REPO)
    found = {}
    for path in sorted((REPO / "newsletters").glob("*.yaml")):
        email = render_issue(load_issue(path, project), project)
        found[email.issue_id] = email
    return found


def _campaign(site: Site, email: Email, status: str, days_ago: int = 0) -> None:
    when = site.clock.now - timedelta(days=days_ago)
    campaign = start_campaign(site.engine, email, transport="outbox", now=when)
    if status != "sending":
        set_status(site.engine, campaign.id, status, now=when)


@pytest.fixture
def archive(site: Site, issues: dict[str, Email]) -> Site:
    research, appeal = issues["2026-12-secondary-research"], issues["2026-12-winter-appeal"]
    _campaign(site, research, CampaignState.SENT, days_ago=10)
    _campaign(site, appeal, CampaignState.SENT, days_ago=2)
    _campaign(site, _variant(research, "2027-01-draft"), "sending")
    _campaign(site, _variant(research, "2027-01-paused"), CampaignState.PAUSED)
    return site


def _variant(email: Email, issue_id: str) -> Email:
    from dataclasses import replace

    return replace(email, issue_id=issue_id, subject=f"Not sent: {issue_id}")


def test_archive_lists_sent_issues_newest_first(archive: Site, issues: dict[str, Email]) -> None:
    response = archive.http.get("/archive")
    links = HTMLParser(response.text).css("ul.archive a")
    assert response.status_code == 200
    assert [a.attributes["href"] for a in links] == [
        "/archive/2026-12-winter-appeal",
        "/archive/2026-12-secondary-research",
    ]
    assert links[1].text() == issues["2026-12-secondary-research"].subject


def test_empty_archive_says_so(site: Site) -> None:
    response = site.http.get("/archive")
    assert response.status_code == 200
    assert "No issues have been sent yet." in response.text


def test_web_version_fills_placeholders_with_neutral_values(archive: Site) -> None:
    response = archive.http.get("/archive/2026-12-secondary-research")
    page = HTMLParser(response.text)
    assert response.status_code == 200
    assert "%%" not in response.text
    hrefs = {a.attributes.get("href") for a in page.css("a")}
    assert "/link" in hrefs
    assert not any(h and ("/u/" in h or "/p/" in h) for h in hrefs)


@pytest.mark.parametrize("issue", ["2026-12-secondary-research", "2026-12-winter-appeal"])
def test_web_version_is_a_page_for_anyone(
    archive: Site, issues: dict[str, Email], issue: str
) -> None:
    """No "view in browser" (this is the browser), no greeting, a way to sign up."""
    response = archive.http.get(f"/archive/{issue}")
    page = HTMLParser(response.text)
    assert response.status_code == 200
    text = page.body.text(separator=" ") if page.body else ""
    assert "in your browser" not in text
    assert "Dear " not in text
    assert "friend" not in text
    assert "%%" not in response.text
    links = {a.text(strip=True): a.attributes.get("href") for a in page.css("a")}
    assert links["Get research news by email: sign up"] == "/subscribe"
    assert links["Sign up"] == "/subscribe"
    assert "Unsubscribe" not in links
    assert f"/archive/{issue}" not in "".join(str(h) for h in links.values())
    # everything else is as sent: every other link of the email is on the page
    sent = {a.attributes.get("href") for a in HTMLParser(issues[issue].html).css("a")}
    personal = {issues[issue].view_url, "%%unsubscribe_url%%", "%%preferences_url%%"}
    assert sent - personal <= set(links.values())


def test_web_version_carries_no_personal_data(archive: Site) -> None:
    archive.add("ada.lovelace@example.com", name="Augusta")
    text = archive.http.get("/archive/2026-12-secondary-research").text
    assert "Augusta" not in text
    assert "ada.lovelace" not in text


def test_web_version_has_its_own_strict_policy(archive: Site) -> None:
    headers = archive.http.get("/archive/2026-12-winter-appeal").headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp  # falls back to default-src 'none': no scripts at all
    assert "frame-ancestors 'none'" in csp
    assert "form-action 'none'" in csp
    assert headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the path is DB-agnostic
@pytest.mark.parametrize(
    "issue", ["2027-01-draft", "2027-01-paused", "no-such-issue", "..%2f..%2fnewsletter.yaml"]
)
def test_unsent_or_unknown_issues_are_404(archive: Site, issue: str) -> None:
    response = archive.http.get(f"/archive/{issue}")
    assert response.status_code == 404
    assert "Not sent" not in response.text


def test_feed_is_atom_with_the_sent_issues(archive: Site, issues: dict[str, Email]) -> None:
    response = archive.http.get("/feed.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == "Research news from Ribbon Research Trust"
    entries = root.findall(f"{ATOM}entry")
    base = archive.base_url
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        f"{base}/archive/2026-12-winter-appeal",
        f"{base}/archive/2026-12-secondary-research",
    ]
    research = entries[1]
    assert research.findtext(f"{ATOM}title") == issues["2026-12-secondary-research"].subject
    link = research.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == f"{base}/archive/2026-12-secondary-research"
    assert research.findtext(f"{ATOM}summary") == issues["2026-12-secondary-research"].preheader


def test_empty_feed_is_still_valid_atom(site: Site) -> None:
    root = ET.fromstring(site.http.get("/feed.xml").content)
    assert root.tag == f"{ATOM}feed"
    assert root.findall(f"{ATOM}entry") == []
    assert root.findtext(f"{ATOM}id") == f"{site.base_url}/archive"
