"""Signup and "send me my link" for an address suppressed on request (the FPS), and the basis a
signup records: over HTTP on a real database."""

from __future__ import annotations

from typing import cast

from mailer.web.supporters import Supporters
from subscribers.fps import suppress_address
from subscribers.store import Basis, get_by_email
from tests.plugins.supporters import Site

VALID = {
    "email": "ada@example.com",
    "first_name": "Ada",
    "lists": ["research-news"],
    "consent": "yes",
}


def suppress(site: Site, email: str) -> None:
    supporters = cast(Supporters, site.app.state.supporters)
    suppress_address(site.engine, email, source="fps", hasher=supporters.hasher, who="test")


def test_a_signup_is_recorded_on_the_consent_basis(site: Site) -> None:
    site.post_form("/subscribe", VALID)
    found = get_by_email(site.engine, "ada@example.com")
    assert found is not None
    assert found.bases == {"research-news": Basis("consent")}


def test_a_suppressed_address_gets_the_same_page_and_no_email(site: Site) -> None:
    suppress(site, "jo@example.com")
    fresh = site.post_form("/subscribe", VALID)
    refused = site.post_form("/subscribe", {**VALID, "email": "jo@example.com"})
    assert (refused.status_code, refused.text) == (fresh.status_code, fresh.text)
    assert [m["To"] for m in site.messages()] == ["Ada <ada@example.com>"]
    assert get_by_email(site.engine, "jo@example.com") is None


def test_a_suppressed_subscriber_asking_for_their_link_gets_nothing(site: Site) -> None:
    site.add("grace@example.com")
    suppress(site, "grace@example.com")
    known = site.post_form("/link", {"email": "grace@example.com"})
    unknown = site.post_form("/link", {"email": "nobody@example.com"})
    assert known.text == unknown.text
    assert site.messages() == []
