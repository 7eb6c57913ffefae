"""``newsletter report`` counts the unsubscribes made through a campaign's own link.

Real processes end to end: ``newsletter quickstart`` sends one issue to the local outbox, a
second issue is sent to the same list; then ``newsletter serve --dev-key`` receives an RFC 8058
one-click POST to the List-Unsubscribe URL of a delivered ``.eml`` (read with the stdlib parser),
and ``newsletter report --json`` counts it for the campaign that carried the link, and only it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from subscribers.db import get_engine
from subscribers.store import get_by_email
from tests.plugins.content import ROOT
from tests.plugins.supporters import links_in, read_eml
from tests.serving import NEWSLETTER
from tests.web.test_web_quickstart_serve import BASE_URL, clean_env, serving

FIRST, SECOND = "2026-12-secondary-research", "2026-12-winter-appeal"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def newsletter(root: Path, *args: str) -> str:
    result = subprocess.run(
        [str(NEWSLETTER), "--project", str(root), *args],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def two_campaigns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quick start (campaign 1, to the outbox), then a second issue to the same list."""
    root = tmp_path_factory.mktemp("attribution")
    shutil.copy(ROOT / "newsletter.yaml", root / "newsletter.yaml")
    for folder in ("templates", "newsletters", "examples"):
        shutil.copytree(ROOT / folder, root / folder)
    newsletter(root, "quickstart")
    newsletter(root, "send", SECOND, "--list", "research-news", "--yes", "--dev-key")
    return root


def delivered(root: Path, issue: str, number: int) -> EmailMessage:
    paths = sorted((root / "outbox" / issue).glob("*.eml"))
    assert len(paths) > number, f"no .eml number {number} for {issue}"
    return read_eml(paths[number])


def one_click_path(message: EmailMessage) -> str:
    """The List-Unsubscribe URL's path, which must be the footer's link too."""
    url = str(message["List-Unsubscribe"]).strip("<>")
    assert url in links_in(message, BASE_URL + "/u/")
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    return url[len(BASE_URL) :]


def unsubscribed(root: Path, issue: str) -> int:
    return int(json.loads(newsletter(root, "report", issue, "--json"))["unsubscribed"])


def status(root: Path, message: EmailMessage) -> str:
    engine = get_engine(f"sqlite:///{root / 'newsletter.db'}")
    try:
        subscriber = get_by_email(engine, str(message["To"].addresses[0].addr_spec))
    finally:
        engine.dispose()
    assert subscriber is not None
    return subscriber.lists["research-news"]


def test_a_one_click_unsubscribe_counts_for_the_campaign_that_carried_it(
    two_campaigns: Path,
) -> None:
    message = delivered(two_campaigns, FIRST, 0)
    path = one_click_path(message)
    assert path.endswith("?c=1")
    with (
        serving(two_campaigns, ["--dev-key"], clean_env()) as server,
        httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as http,
    ):
        for _ in range(2):  # a mail provider retrying counts once
            done = http.post(path, data=ONE_CLICK)
            assert done.status_code == 200, done.text
    assert status(two_campaigns, message) == "unsubscribed"
    assert unsubscribed(two_campaigns, FIRST) == 1
    assert unsubscribed(two_campaigns, SECOND) == 0


def test_an_unknown_campaign_is_ignored_and_the_person_still_leaves(two_campaigns: Path) -> None:
    message = delivered(two_campaigns, SECOND, 1)
    path = one_click_path(message)
    token_path, _, campaign = path.partition("?c=")
    assert campaign == "2"
    with (
        serving(two_campaigns, ["--dev-key"], clean_env()) as server,
        httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as http,
    ):
        for forged in ("999", "x", "-1", "9" * 40):
            done = http.post(f"{token_path}?c={forged}", data=ONE_CLICK)
            assert done.status_code == 200, done.text
    assert status(two_campaigns, message) == "unsubscribed"
    assert unsubscribed(two_campaigns, SECOND) == 0
