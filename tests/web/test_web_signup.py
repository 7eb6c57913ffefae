"""Signup with double opt-in, confirmation and "send me my link", over HTTP on a real database."""

# selectolax's css_first() returns Node | None; a missing node fails the test all the same.
# mypy: disable-error-code="union-attr"
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import cast

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy import select

from mailer.web import WebLimits
from mailer.web.signup import consent_wording
from mailer.web.supporters import SignupLimits, Supporters
from subscribers.models import consents
from subscribers.store import get_by_email, mark_bounced
from tests.plugins.supporters import Site, links_in, text_of

VALID = {
    "email": "ada@example.com",
    "first_name": "Ada",
    "lists": ["research-news"],
    "interests": ["trials", "lobular"],
    "consent": "yes",
}


def _confirm_path(site: Site) -> str:
    [message] = site.messages("confirm")
    [link] = links_in(message, "/confirm/")
    return site.path_of(link)


def test_form_has_labelled_fields_and_an_unticked_consent_box(site: Site) -> None:
    page = HTMLParser(site.http.get("/subscribe").text)
    labelled = {node.attributes["for"] for node in page.css("label")}
    for field in page.css("input:not([type=hidden])"):
        assert field.attributes["id"] in labelled
    consent = page.css_first("input#consent")
    assert consent.attributes["type"] == "checkbox"
    assert "checked" not in consent.attributes
    assert page.css_first("label[for=consent]").text() == consent_wording(site_supporters(site))
    assert [n.attributes["value"] for n in page.css("input[name=lists]")] == [
        "research-news",
        "appeals",
    ]
    assert page.css("script") == []
    assert page.css("[style]") == []


def site_supporters(site: Site) -> Supporters:
    return cast(Supporters, site.app.state.supporters)


def test_form_sets_a_strict_http_only_csrf_cookie(site: Site) -> None:
    cookie = site.http.get("/subscribe").headers["set-cookie"]
    assert cookie.startswith("nl_csrf=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie


def test_signup_creates_a_pending_subscriber_and_sends_a_confirmation(site: Site) -> None:
    response = site.post_form("/subscribe", VALID)
    assert response.status_code == 200
    assert HTMLParser(response.text).css_first("h1").text() == "Check your inbox"
    subscriber = get_by_email(site.engine, "ada@example.com")
    assert subscriber is not None
    assert subscriber.status == "pending"
    assert subscriber.lists == {"research-news": "pending"}
    assert subscriber.interests == {"trials", "lobular"}
    [message] = site.messages("confirm")
    assert message["To"] == "Ada <ada@example.com>"
    assert message["Subject"] == "Please confirm your email address"
    assert links_in(message, "/confirm/")


def test_consent_record_keeps_the_exact_wording_time_and_ip(site: Site) -> None:
    site.http.headers["X-Forwarded-For"] = "203.0.113.9"
    site.post_form("/subscribe", VALID)
    with site.engine.connect() as connection:
        [row] = connection.execute(select(consents)).all()
    assert row.wording == consent_wording(site.app.state.supporters)
    assert row.source == "web-form"
    assert row.ip == "203.0.113.9"
    assert row.at == site.clock.now
    assert row.list_id == "research-news"


def test_confirmation_link_activates_and_sends_a_welcome(site: Site) -> None:
    site.post_form("/subscribe", VALID)
    response = site.http.get(_confirm_path(site))
    assert response.status_code == 200
    assert "you are signed up" in response.text
    subscriber = get_by_email(site.engine, "ada@example.com")
    assert subscriber is not None
    assert subscriber.status == "active"
    assert subscriber.lists == {"research-news": "active"}
    [welcome] = site.messages("welcome")
    assert "Welcome, Ada" in text_of(welcome)
    assert links_in(welcome, "/p/")
    assert links_in(welcome, "/u/")


def test_confirming_twice_sends_one_welcome(site: Site) -> None:
    site.post_form("/subscribe", VALID)
    path = _confirm_path(site)
    assert site.http.get(path).status_code == 200
    assert site.http.get(path).status_code == 200
    assert len(site.messages("welcome")) == 1


def test_head_request_never_confirms(site: Site) -> None:
    site.post_form("/subscribe", VALID)
    assert site.http.head(_confirm_path(site)).status_code == 200
    subscriber = get_by_email(site.engine, "ada@example.com")
    assert subscriber is not None
    assert subscriber.status == "pending"


def _token(site: Site, kind: str) -> str:
    subscriber = get_by_email(site.engine, "ada@example.com")
    assert subscriber is not None
    public_id = subscriber.public_id
    now = site.clock.now
    if kind == "tampered":
        good = site.signer.sign("confirm", public_id, issued_at=now)
        return good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    if kind == "wrong-purpose":
        return site.signer.sign("preferences", public_id, issued_at=now)
    if kind == "expired":
        return site.signer.sign("confirm", public_id, issued_at=now - timedelta(days=8))
    if kind == "other-key":
        from subscribers.tokens import TokenSigner

        return TokenSigner((b"another-secret-key-entirely",)).sign("confirm", public_id)
    return {"malformed": "not-a-token", "dots": "c1.x.y.z.w", "long": "a" * 500}[kind]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the path is DB-agnostic
@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("tampered", "This link is not valid"),
        ("wrong-purpose", "This link is not valid"),
        ("other-key", "This link is not valid"),
        ("malformed", "This link is not valid"),
        ("dots", "This link is not valid"),
        ("long", "This link is not valid"),
        ("expired", "This link has expired"),
    ],
)
def test_bad_confirmation_tokens_get_a_friendly_400(site: Site, kind: str, title: str) -> None:
    site.post_form("/subscribe", VALID)
    response = site.http.get(f"/confirm/{_token(site, kind)}")
    page = HTMLParser(response.text)
    assert response.status_code == 400
    assert page.css_first("h1").text() == title
    assert page.css_first("a.button").attributes["href"] == "/link"
    assert "Traceback" not in response.text
    assert "signature" not in response.text
    subscriber = get_by_email(site.engine, "ada@example.com")
    assert subscriber is not None
    assert subscriber.status == "pending"


def test_confirmation_expires_by_the_injected_clock(site: Site) -> None:
    site.post_form("/subscribe", VALID)
    path = _confirm_path(site)
    site.clock.now += timedelta(days=7, seconds=1)
    assert site.http.get(path).status_code == 400


def test_existing_address_gets_the_same_answer_and_a_link_not_a_change(site: Site) -> None:
    site.add("grace@example.com", name="Grace")
    fresh = site.post_form("/subscribe", VALID)
    known = site.post_form("/subscribe", {**VALID, "email": "grace@example.com", "first_name": "X"})
    assert (known.status_code, known.text) == (fresh.status_code, fresh.text)
    grace = get_by_email(site.engine, "grace@example.com")
    assert grace is not None
    assert grace.first_name == "Grace"
    assert grace.status == "active"
    [link] = site.messages("link")
    assert link["To"] == "Grace <grace@example.com>"
    assert links_in(link, "/p/")


def test_bounced_address_gets_the_same_answer_and_no_email(site: Site) -> None:
    site.add("gone@example.com")
    mark_bounced(site.engine, "gone@example.com", who="test")
    fresh = site.post_form("/subscribe", VALID)
    bounced = site.post_form("/subscribe", {**VALID, "email": "gone@example.com"})
    assert bounced.text == fresh.text
    assert [m["To"] for m in site.messages()] == ["Ada <ada@example.com>"]


def test_honeypot_gets_the_same_answer_and_nothing_happens(site: Site) -> None:
    response = site.post_form("/subscribe", {**VALID, "website": "http://spam.example"})
    assert response.status_code == 200
    assert "Check your inbox" in response.text
    assert get_by_email(site.engine, "ada@example.com") is None
    assert site.messages() == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the path is DB-agnostic
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@b@c.example"}, "email"),
        ({"lists": []}, "lists"),
        ({"lists": ["no-such-list"]}, "lists"),
        ({"interests": ["astrology"]}, "interests"),
        ({"consent": ""}, "consent"),
        ({"consent": "on"}, "consent"),
    ],
)
def test_invalid_signup_shows_the_error_and_stores_nothing(
    site: Site, change: dict[str, object], field: str
) -> None:
    response = site.post_form("/subscribe", {**VALID, **change})
    page = HTMLParser(response.text)
    assert response.status_code == 400
    assert page.css_first(f"#{field}-error") is not None
    assert page.css_first(".error-summary[role=alert]") is not None
    assert page.css_first("title").text().startswith("Error: ")
    assert get_by_email(site.engine, "ada@example.com") is None
    assert site.messages() == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the path is DB-agnostic
@pytest.mark.parametrize("problem", ["no-field", "wrong-field", "no-cookie", "other-path"])
@pytest.mark.parametrize("path", ["/subscribe", "/link"])
def test_forms_refuse_a_missing_or_wrong_csrf_token(site: Site, problem: str, path: str) -> None:
    token = site.form(path)
    data: dict[str, object] = {**VALID}
    if problem == "wrong-field":
        data["csrf_token"] = token[:-2] + "xx"
    elif problem == "no-cookie":
        data["csrf_token"] = token
        site.http.cookies.clear()
    elif problem == "other-path":
        data["csrf_token"] = site.form("/link" if path == "/subscribe" else "/subscribe")
    response = site.http.post(path, data=data)
    assert response.status_code == 403
    assert HTMLParser(response.text).css_first("h1").text() == "Please try again"
    assert get_by_email(site.engine, "ada@example.com") is None
    assert site.messages() == []


def test_oversized_form_is_refused_with_413(site: Site) -> None:
    token = site.form("/subscribe")
    response = site.http.post(
        "/subscribe", data={**VALID, "csrf_token": token, "first_name": "x" * 70_000}
    )
    assert response.status_code == 413
    assert get_by_email(site.engine, "ada@example.com") is None


def test_per_ip_rate_limit_answers_429_until_the_window_passes(
    make_site: Callable[..., Site],
) -> None:
    site = make_site(WebLimits(signup=SignupLimits(per_ip=2, window=timedelta(minutes=10))))
    site.http.headers["X-Forwarded-For"] = "198.51.100.7"
    for n in range(2):
        assert (
            site.post_form("/subscribe", {**VALID, "email": f"p{n}@example.com"}).status_code == 200
        )
    limited = site.post_form("/subscribe", {**VALID, "email": "p3@example.com"})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) == 600
    assert HTMLParser(limited.text).css_first("h1").text() == "Too many requests"
    assert get_by_email(site.engine, "p3@example.com") is None
    site.http.headers["X-Forwarded-For"] = "198.51.100.8"
    assert site.post_form("/subscribe", {**VALID, "email": "p4@example.com"}).status_code == 200
    site.http.headers["X-Forwarded-For"] = "198.51.100.7"
    site.clock.now += timedelta(minutes=10)
    assert site.post_form("/subscribe", {**VALID, "email": "p5@example.com"}).status_code == 200


def test_per_address_limit_sends_no_more_mail_but_answers_the_same(
    make_site: Callable[..., Site],
) -> None:
    site = make_site(WebLimits(signup=SignupLimits(per_address=1)))
    first = site.post_form("/subscribe", VALID)
    second = site.post_form("/subscribe", VALID)
    assert second.text == first.text
    assert len(site.messages("confirm")) == 1


def test_link_page_resends_a_lost_confirmation(site: Site) -> None:
    site.post_form("/subscribe", VALID)
    response = site.post_form("/link", {"email": "ADA@example.com"})
    assert response.status_code == 200
    assert len(site.messages("confirm")) == 2


def test_link_page_sends_a_preferences_link_to_a_subscriber(site: Site) -> None:
    site.add("grace@example.com", name="Grace")
    site.post_form("/link", {"email": "grace@example.com"})
    [message] = site.messages("link")
    [link] = links_in(message, "/p/")
    assert site.http.get(site.path_of(link)).status_code == 200


def test_link_page_answers_the_same_for_an_unknown_address(site: Site) -> None:
    site.add("grace@example.com")
    known = site.post_form("/link", {"email": "grace@example.com"})
    unknown = site.post_form("/link", {"email": "nobody@example.com"})
    assert (unknown.status_code, unknown.text) == (known.status_code, known.text)
    assert [m["To"] for m in site.messages()] == ["Ada <grace@example.com>"]


def test_link_page_rejects_a_malformed_address(site: Site) -> None:
    response = site.post_form("/link", {"email": "nope"})
    assert response.status_code == 400
    assert HTMLParser(response.text).css_first("#email").attributes["aria-invalid"] == "true"


def test_link_page_honeypot_sends_nothing(site: Site) -> None:
    site.add("grace@example.com")
    response = site.post_form("/link", {"email": "grace@example.com", "website": "x"})
    assert response.status_code == 200
    assert site.messages() == []


def test_without_a_secret_key_the_pages_say_not_ready(make_site: Callable[..., Site]) -> None:
    site = make_site(environ={})
    response = site.http.get("/subscribe")
    assert response.status_code == 503
    assert HTMLParser(response.text).css_first("h1").text() == "Not ready"


def test_links_in_the_confirmation_and_welcome_emails_wear_the_brand_colour(site: Site) -> None:
    site.post_form("/subscribe", VALID)
    site.http.get(_confirm_path(site))
    primary = site.app.state.project.settings.brand.colours.primary
    for kind in ("confirm", "welcome"):
        [message] = site.messages(kind)
        part = message.get_body(("html",))
        assert part is not None
        links = HTMLParser(part.get_content()).css("a")
        assert links, kind
        for link in links:
            style = (link.attributes.get("style") or "").replace(" ", "").lower()
            colour = "background:" if "background:" in style else "color:"
            assert f"{colour}{primary.lower()}" in style, (kind, link.html)
