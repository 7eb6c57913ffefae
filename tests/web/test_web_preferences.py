"""The preference centre over HTTP on a real database: view, change, leave all, CSRF, bad links."""

# selectolax's css_first() returns Node | None; a missing node fails the test all the same.
# mypy: disable-error-code="union-attr"
from __future__ import annotations

from datetime import timedelta

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy import select

from subscribers.audit import list_entries
from subscribers.models import consents
from subscribers.store import Subscriber, get_by_email
from tests.plugins.supporters import Site


def _reader(site: Site) -> Subscriber:
    return site.add("ada@example.com", "research-news", name="Ada")


def _path(site: Site, subscriber: Subscriber) -> str:
    return f"/p/{site.signer.sign('preferences', subscriber.public_id)}"


def _now(site: Site) -> Subscriber:
    found = get_by_email(site.engine, "ada@example.com")
    assert found is not None
    return found


def test_page_shows_the_current_choices(site: Site) -> None:
    page = HTMLParser(site.http.get(_path(site, _reader(site))).text)
    assert page.css_first("input#first_name").attributes["value"] == "Ada"
    assert "checked" in page.css_first("input#list-research-news").attributes
    assert "checked" not in page.css_first("input#list-appeals").attributes
    assert page.css_first("input[name=csrf_token]") is not None
    labelled = {node.attributes["for"] for node in page.css("label")}
    for field in page.css("input:not([type=hidden])"):
        assert field.attributes["id"] in labelled
    assert page.css("fieldset legend")


def test_saving_changes_name_lists_and_interests(site: Site) -> None:
    subscriber = _reader(site)
    response = site.post_form(
        _path(site, subscriber),
        {
            "first_name": "Augusta",
            "lists": ["appeals"],
            "interests": ["trials", "secondary"],
            "action": "save",
        },
    )
    assert response.status_code == 200
    assert HTMLParser(response.text).css_first("[role=status]").text() == "Your choices are saved."
    now = _now(site)
    assert now.first_name == "Augusta"
    assert now.lists == {"research-news": "unsubscribed", "appeals": "active"}
    assert now.interests == {"trials", "secondary"}


def test_a_newly_ticked_list_is_recorded_as_consent(site: Site) -> None:
    subscriber = _reader(site)
    site.http.headers["X-Forwarded-For"] = "203.0.113.5"
    site.post_form(_path(site, subscriber), {"lists": ["research-news", "appeals"]})
    with site.engine.connect() as connection:
        rows = connection.execute(select(consents).where(consents.c.source == "preferences")).all()
    assert [(r.list_id, r.ip) for r in rows] == [("appeals", "203.0.113.5")]
    assert rows[0].wording.startswith("By saving, I agree")


def test_leave_all_unsubscribes_from_everything(site: Site) -> None:
    subscriber = site.add("ada@example.com", "research-news", "appeals")
    response = site.post_form(
        _path(site, subscriber), {"lists": ["research-news"], "action": "leave-all"}
    )
    assert response.status_code == 200
    assert "unsubscribed from every list" in response.text
    now = _now(site)
    assert now.status == "unsubscribed"
    assert set(now.lists.values()) == {"unsubscribed"}


def test_saving_is_audited_as_the_web_request(site: Site) -> None:
    subscriber = _reader(site)
    site.post_form(_path(site, subscriber), {"lists": ["research-news"]})
    [entry] = list_entries(site.engine, action="preferences")
    assert entry.who == "web:preferences ip=127.0.0.1"


def test_a_pending_subscriber_who_saves_becomes_active(site: Site) -> None:
    subscriber = site.add("ada@example.com", "research-news", confirmed=False)
    site.post_form(_path(site, subscriber), {"lists": ["research-news"]})
    assert _now(site).status == "active"
    assert _now(site).lists == {"research-news": "active"}


@pytest.mark.parametrize(
    "data",
    [{"lists": ["no-such-list"]}, {"interests": ["astrology"]}],
    ids=["unknown-list", "unknown-interest"],
)
def test_tampered_choices_are_refused(site: Site, data: dict[str, object]) -> None:
    subscriber = _reader(site)
    response = site.post_form(_path(site, subscriber), {"first_name": "Eve", **data})
    assert response.status_code == 400
    assert _now(site).first_name == "Ada"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the path is DB-agnostic
@pytest.mark.parametrize("problem", ["no-field", "wrong-field", "no-cookie", "other-token"])
def test_csrf_missing_or_wrong_is_refused(site: Site, problem: str) -> None:
    subscriber = _reader(site)
    path = _path(site, subscriber)
    token = site.form(path)
    data: dict[str, object] = {"first_name": "Mallory", "lists": []}
    if problem == "wrong-field":
        data["csrf_token"] = "A" * 43
    elif problem == "no-cookie":
        data["csrf_token"] = token
        site.http.cookies.clear()
    elif problem == "other-token":  # a field made for another person's page
        other = site.add("bob@example.com", "research-news")
        data["csrf_token"] = site.form(_path(site, other))
    response = site.http.post(path, data=data)
    assert response.status_code == 403
    now = _now(site)
    assert now.first_name == "Ada"
    assert now.lists == {"research-news": "active"}


def test_csrf_cookie_is_reused_across_pages(site: Site) -> None:
    path = _path(site, _reader(site))
    first = site.http.get(path)
    second = site.http.get(path)
    assert "set-cookie" in first.headers
    assert "set-cookie" not in second.headers


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the path is DB-agnostic
@pytest.mark.parametrize("kind", ["tampered", "unsubscribe-token", "confirm-token", "malformed"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_bad_tokens_get_a_friendly_400(site: Site, kind: str, method: str) -> None:
    subscriber = _reader(site)
    good = site.signer.sign("preferences", subscriber.public_id)
    token = {
        "tampered": good[:-1] + ("A" if good[-1] != "A" else "B"),
        "unsubscribe-token": site.signer.sign("unsubscribe", subscriber.public_id, "appeals"),
        "confirm-token": site.signer.sign("confirm", subscriber.public_id),
        "malformed": "p1.zz",
    }[kind]
    response = site.http.request(method, f"/p/{token}", data={"first_name": "Eve"})
    assert response.status_code == 400
    assert HTMLParser(response.text).css_first("h1").text() == "This link is not valid"
    assert _now(site).first_name == "Ada"


def test_links_never_expire(site: Site) -> None:
    path = _path(site, _reader(site))
    site.clock.now += timedelta(days=3650)
    assert site.http.get(path).status_code == 200


def test_link_of_a_forgotten_subscriber_is_no_longer_valid(site: Site) -> None:
    from subscribers.keys import AddressHasher
    from subscribers.privacy import forget
    from tests.plugins.supporters import SECRET

    path = _path(site, _reader(site))
    forget(site.engine, "ada@example.com", hasher=AddressHasher((SECRET.encode(),)), who="t")
    assert site.http.get(path).status_code == 400


def test_oversized_form_is_refused_with_413(site: Site) -> None:
    path = _path(site, _reader(site))
    response = site.post_form(path, {"first_name": "x" * 70_000})
    assert response.status_code == 413
    assert _now(site).first_name == "Ada"
