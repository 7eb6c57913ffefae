"""The one-line notice after an action is signed for the session: a crafted ``?done=`` link
puts no words on a staff page, and a notice made for one session shows in no other."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from mailer.render.email import Email
from tests.plugins.sending import open_test_campaign
from tests.plugins.staff import Console

FORGED = "Your password has expired: call 0800 000 000"


def _notice(page: str) -> str | None:
    node = HTMLParser(page).css_first(".notice")
    return None if node is None else node.text(strip=True)


@pytest.mark.parametrize(
    "query",
    [
        f"?done={quote(FORGED)}",
        f"?done={quote(FORGED)}&sig=",
        f"?done={quote(FORGED)}&sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        f"?done={quote(FORGED)}&sig=%C3%A9",
    ],
)
def test_a_forged_notice_is_not_shown(console: Console, query: str) -> None:
    http = console.client("ed@example.org", "editor")
    page = http.get(f"/staff/issues{query}")
    assert page.status_code == 200
    assert FORGED not in page.text
    assert _notice(page.text) is None


def test_a_forged_notice_is_not_shown_on_the_sign_in_page(console: Console) -> None:
    page = console.new_client().get(f"/staff/login?done={quote(FORGED)}")
    assert FORGED not in page.text


def test_the_notice_of_an_action_is_shown_to_its_session(
    console: Console, sample_email: Email
) -> None:
    campaign = open_test_campaign(console.engine, sample_email)
    http = console.client("op@example.org", "operator")
    page = f"/staff/campaigns/{campaign.id}/pause"
    answer = console.post(http, page, page)
    assert _notice(http.get(answer.headers["location"]).text) == (
        f"Campaign {sample_email.issue_id}: paused."
    )


def test_a_notice_signed_for_one_session_is_not_shown_in_another(
    console: Console, sample_email: Email
) -> None:
    campaign = open_test_campaign(console.engine, sample_email)
    http = console.client("op@example.org", "operator")
    page = f"/staff/campaigns/{campaign.id}/pause"
    location = console.post(http, page, page).headers["location"]
    other = console.client("ed@example.org", "editor")
    assert _notice(other.get(location).text) is None


def test_signing_out_says_so_on_the_sign_in_page(console: Console) -> None:
    http = console.client("ed@example.org", "editor")
    answer = console.post(http, "/staff/issues", "/staff/logout")
    assert _notice(http.get(answer.headers["location"]).text) == "You are signed out."
