"""Unsubscribe over HTTP on a real database: the page, the button, RFC 8058 one-click, bad links."""

# selectolax's css_first() returns Node | None; a missing node fails the test all the same.
# mypy: disable-error-code="union-attr"
from __future__ import annotations

from datetime import timedelta

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from subscribers.audit import list_entries
from subscribers.keys import AddressHasher
from subscribers.privacy import forget
from subscribers.store import Subscriber, get_by_email
from subscribers.tokens import TokenSigner
from tests.plugins.supporters import SECRET, Site

ONE_CLICK = "List-Unsubscribe=One-Click"


def _reader(site: Site) -> Subscriber:
    return site.add("ada@example.com", "research-news", "appeals")


def _path(site: Site, subscriber: Subscriber, list_id: str = "research-news") -> str:
    return f"/u/{site.signer.sign('unsubscribe', subscriber.public_id, list_id)}"


def _lists(site: Site) -> dict[str, str]:
    found = get_by_email(site.engine, "ada@example.com")
    assert found is not None
    return dict(found.lists)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_get_never_unsubscribes(site: Site, method: str) -> None:
    path = _path(site, _reader(site))
    for _ in range(3):
        assert site.http.request(method, path).status_code == 200
    assert _lists(site) == {"research-news": "active", "appeals": "active"}


def test_page_has_one_button_and_a_choice_to_leave_everything(site: Site) -> None:
    path = _path(site, _reader(site))
    page = HTMLParser(site.http.get(path).text)
    assert page.css_first("h1").text() == "Unsubscribe from Research news?"
    form = page.css_first("form")
    assert form.attributes["method"] == "post"
    assert form.attributes["action"] == path
    assert [b.text() for b in page.css("button")] == ["Unsubscribe"]
    leave_all = page.css_first("input#scope-all")
    assert leave_all.attributes["name"] == "scope"
    assert "checked" not in leave_all.attributes
    assert page.css_first("label[for=scope-all]") is not None
    assert page.css("script") == []


def test_button_unsubscribes_from_the_list_of_the_email_only(site: Site) -> None:
    response = site.http.post(_path(site, _reader(site)))
    assert response.status_code == 200
    assert "You are unsubscribed" in response.text
    assert _lists(site) == {"research-news": "unsubscribed", "appeals": "active"}


def test_unsubscribed_page_names_the_lists_still_on_and_offers_to_leave_them(site: Site) -> None:
    path = _path(site, _reader(site))
    page = HTMLParser(site.http.post(path).text)
    [form] = page.css("form.still-on")
    assert "You are still on this list: Appeals and fundraising." in form.text()
    assert form.attributes["method"] == "post"
    assert form.attributes["action"] == path
    hidden = form.css_first("input[name=scope]")
    assert hidden.attributes["value"] == "all"
    assert form.css_first("button").text() == "Unsubscribe from that too"
    # the offer works: the same signed link, with scope=all, leaves the rest
    response = site.http.post(path, data={"scope": "all"})
    assert "We will not send you any more emails." in response.text
    assert _lists(site) == {"research-news": "unsubscribed", "appeals": "unsubscribed"}
    assert HTMLParser(response.text).css("form.still-on") == []


def test_leaving_every_list(site: Site) -> None:
    response = site.http.post(_path(site, _reader(site)), data={"scope": "all"})
    assert response.status_code == 200
    assert "We will not send you any more emails." in response.text
    assert _lists(site) == {"research-news": "unsubscribed", "appeals": "unsubscribed"}
    found = get_by_email(site.engine, "ada@example.com")
    assert found is not None
    assert found.status == "unsubscribed"


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_post_needs_no_cookie_or_csrf_token(site: Site, encoding: str) -> None:
    path = _path(site, _reader(site))
    site.http.cookies.clear()
    if encoding == "urlencoded":
        response = site.http.post(
            path,
            content=ONE_CLICK.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    else:
        response = site.http.post(path, files={"List-Unsubscribe": (None, "One-Click")})
        assert response.request.headers["content-type"].startswith("multipart/form-data")
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    assert _lists(site) == {"research-news": "unsubscribed", "appeals": "active"}


def test_one_click_is_audited_as_the_web_request(site: Site) -> None:
    subscriber = _reader(site)
    site.http.headers["X-Forwarded-For"] = "192.0.2.44"
    site.http.post(_path(site, subscriber), data={"List-Unsubscribe": "One-Click"})
    [entry] = list_entries(site.engine, action="unsubscribe")
    assert entry.who == "web:one-click-unsubscribe ip=192.0.2.44"
    assert entry.subject == subscriber.public_id
    assert entry.detail == "research-news"


def test_unsubscribing_twice_is_harmless(site: Site) -> None:
    path = _path(site, _reader(site))
    first = site.http.post(path, data={"List-Unsubscribe": "One-Click"})
    second = site.http.post(path, data={"List-Unsubscribe": "One-Click"})
    assert first.status_code == second.status_code == 200
    assert len(list_entries(site.engine, action="unsubscribe")) == 1
    assert _lists(site)["research-news"] == "unsubscribed"


def test_old_links_never_expire(site: Site) -> None:
    path = _path(site, _reader(site))
    site.clock.now += timedelta(days=3650)
    assert site.http.post(path).status_code == 200


def test_a_forgotten_subscriber_still_gets_200(site: Site) -> None:
    path = _path(site, _reader(site))
    forget(site.engine, "ada@example.com", hasher=AddressHasher((SECRET.encode(),)), who="test")
    assert site.http.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200


def test_thanks_page_links_to_the_preference_centre(site: Site) -> None:
    page = HTMLParser(site.http.post(_path(site, _reader(site))).text)
    link = page.css_first("a[href^='/p/']")
    assert link is not None
    assert site.http.get(str(link.attributes["href"])).status_code == 200


def _bad(site: Site, subscriber: Subscriber, kind: str) -> str:
    good = site.signer.sign("unsubscribe", subscriber.public_id, "research-news")
    payload, _, signature = good.rpartition(".")
    return {
        "tampered-signature": f"{payload}.{signature[::-1]}",
        "tampered-list": good.replace(".research-news.", ".appeals."),
        "tampered-id": good.replace(subscriber.public_id, "A" * len(subscriber.public_id)),
        "wrong-purpose": site.signer.sign("preferences", subscriber.public_id),
        "confirm-token": site.signer.sign("confirm", subscriber.public_id),
        "other-key": TokenSigner((b"someone-else's-secret-key",)).sign(
            "unsubscribe", subscriber.public_id, "research-news"
        ),
        "truncated": good[:-5],
        "malformed": "hello",
        "empty-parts": "....",
        "non-ascii": "u1.é.x.y.zzzzzzzzzzzzzzzzzzzzzz",
    }[kind]


BAD_KINDS = [
    "tampered-signature",
    "tampered-list",
    "tampered-id",
    "wrong-purpose",
    "confirm-token",
    "other-key",
    "truncated",
    "malformed",
    "empty-parts",
    "non-ascii",
]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the path is DB-agnostic
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_tokens_get_a_friendly_400_and_change_nothing(
    site: Site, kind: str, method: str
) -> None:
    token = _bad(site, _reader(site), kind)
    response = site.http.request(method, f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
    page = HTMLParser(response.text)
    assert response.status_code == 400
    assert page.css_first("h1").text() == "This link is not valid"
    assert "nothing was changed" in page.css_first("main").text()
    assert _lists(site) == {"research-news": "active", "appeals": "active"}
    assert list_entries(site.engine, action="unsubscribe") == []


def test_pages_keep_the_security_headers(site: Site) -> None:
    headers = site.http.get(_path(site, _reader(site))).headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"


def test_malformed_multipart_body_is_a_400(site: Site) -> None:
    path = _path(site, _reader(site))
    response = site.http.post(
        path, content=b"garbage", headers={"Content-Type": "multipart/form-data"}
    )
    assert response.status_code == 400
    assert _lists(site)["research-news"] == "active"
