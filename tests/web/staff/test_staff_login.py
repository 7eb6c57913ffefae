"""Signing in and out of the staff console over real HTTP: answers, lock-out, sessions, CSRF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mailer.settings import Project
from mailer.web import create_app
from mailer.web.staff.accounts import ACCOUNT_LIMIT, disable_staff, reset_password
from subscribers.audit import list_entries, record_action
from subscribers.db import write_transaction
from tests.plugins.staff import PASSWORD, Console, staff_csrf

_T = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_signing_in_goes_to_the_page_asked_for(console: Console) -> None:
    console.add("ada@example.org", "admin")
    http = console.new_client()
    first = http.get("/staff/audit")
    assert first.status_code == 303
    assert first.headers["location"] == "/staff/login?next=/staff/audit"
    form = http.get(first.headers["location"])
    answer = http.post(
        "/staff/login",
        data={
            "csrf_token": staff_csrf(form.text),
            "email": "ADA@example.org",
            "password": PASSWORD,
            "next": "/staff/audit",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/audit"
    assert http.get("/staff/audit").status_code == 200


def test_the_session_cookie_is_httponly_lax_and_scoped_to_staff(console: Console) -> None:
    console.add("ada@example.org", "admin")
    answer = console.login(console.new_client(), "ada@example.org")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("nl_staff=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/staff" in cookie
    assert "Secure" not in cookie  # the base URL here is http


def test_the_session_cookie_is_secure_when_the_base_url_is_https(
    web_project: Project,
    db_url: str,
    clock: Any,
    staff_env: dict[str, str],
    serve: Any,
    console: Console,
) -> None:
    console.add("ada@example.org", "admin")
    app = create_app(web_project, engine_url=db_url, clock=clock, environ=staff_env)
    http: httpx.Client = serve(app)
    try:
        answer = console.login(http, "ada@example.org")
        assert answer.status_code == 303
        assert "Secure" in answer.headers["set-cookie"]
    finally:
        app.state.supporters.close()


def test_an_unknown_account_and_a_wrong_password_get_the_same_answer(console: Console) -> None:
    console.add("ada@example.org", "admin")
    wrong = console.login(console.new_client(), "ada@example.org", "not the password")
    unknown = console.login(console.new_client(), "nobody@example.org", PASSWORD)
    assert wrong.status_code == unknown.status_code == 400
    assert "do not match" in wrong.text
    assert "nl_staff" not in wrong.headers.get("set-cookie", "")

    def strip(page: str) -> str:
        page = page.replace(staff_csrf(page), "")
        return page.replace("nobody@example.org", "X").replace("ada@example.org", "X")

    assert strip(wrong.text) == strip(unknown.text)


def test_a_disabled_account_gets_the_same_answer_as_a_wrong_password(console: Console) -> None:
    console.add("ada@example.org", "admin")
    disable_staff(console.engine, "ada@example.org")
    answer = console.login(console.new_client(), "ada@example.org")
    assert answer.status_code == 400
    assert "do not match" in answer.text


def test_failures_lock_the_account_out_from_that_address_until_the_window_passes(
    console: Console,
) -> None:
    console.add("ada@example.org", "admin")
    http = console.new_client()
    for _ in range(ACCOUNT_LIMIT):
        assert console.login(http, "ada@example.org", "guess").status_code == 400
    locked = console.login(http, "ada@example.org")  # even the right password
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    assert int(locked.headers["retry-after"]) == 15 * 60
    console.clock.now += timedelta(minutes=10)
    assert console.login(http, "ada@example.org").status_code == 429  # not counted, not longer
    console.clock.now += timedelta(minutes=5, seconds=1)
    assert console.login(http, "ada@example.org").status_code == 303


def test_an_unknown_account_locks_the_same_way(console: Console) -> None:
    http = console.new_client()
    answers = [console.login(http, "nobody@example.org").status_code for _ in range(6)]
    assert answers == [400] * ACCOUNT_LIMIT + [429]


def test_a_password_reset_ends_the_lock_out(console: Console) -> None:
    console.add("ada@example.org", "admin")
    http = console.new_client()
    for _ in range(ACCOUNT_LIMIT):
        console.login(http, "ada@example.org", "guess")
    reset_password(console.engine, "ada@example.org", PASSWORD, now=console.clock())
    assert console.login(http, "ada@example.org").status_code == 303


def test_a_session_ends_after_the_idle_timeout(console: Console) -> None:
    http = console.client("ada@example.org")
    console.clock.now += timedelta(minutes=29)
    assert http.get("/staff/audit").status_code == 200
    console.clock.now += timedelta(minutes=29)
    assert http.get("/staff/audit").status_code == 200  # seen 29 minutes ago
    console.clock.now += timedelta(minutes=31)
    assert http.get("/staff/audit").status_code == 303


def test_a_session_ends_after_the_absolute_timeout_however_busy(console: Console) -> None:
    http = console.client("ada@example.org")
    for _ in range(11 * 3):
        console.clock.now += timedelta(minutes=20)
        assert http.get("/staff/audit").status_code == 200
    console.clock.now += timedelta(minutes=61)  # 12 h 1 min after signing in
    assert http.get("/staff/audit").status_code == 303


def test_the_timeouts_come_from_the_environment(
    staff_project: Project,
    db_url: str,
    clock: Any,
    staff_env: dict[str, str],
    serve: Any,
    console: Console,
) -> None:
    env = {**staff_env, "NEWSLETTER_STAFF_IDLE_MINUTES": "5"}
    app = create_app(staff_project, engine_url=db_url, clock=clock, environ=env)
    try:
        http: httpx.Client = serve(app)
        console.add("ada@example.org", "admin")
        assert console.login(http, "ada@example.org").status_code == 303
        console.clock.now += timedelta(minutes=6)
        assert http.get("/staff/audit").status_code == 303
    finally:
        app.state.supporters.close()


@pytest.mark.parametrize(
    "end", [disable_staff, lambda engine, email: reset_password(engine, email, "x" * 12, now=_T)]
)
def test_disabling_or_resetting_an_account_ends_its_session_at_once(
    console: Console, end: Any
) -> None:
    http = console.client("ada@example.org")
    assert http.get("/staff/audit").status_code == 200
    end(console.engine, "ada@example.org")
    assert http.get("/staff/audit").status_code == 303


def test_signing_out_ends_the_session_even_for_a_copied_cookie(console: Console) -> None:
    http = console.client("ada@example.org")
    copy = console.new_client()
    copy.cookies.update(http.cookies)
    answer = console.post(http, "/staff/audit", "/staff/logout")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/staff/login")
    assert copy.get("/staff/audit").status_code == 303


@pytest.mark.parametrize("token", [None, "", "forged-token-value"])
def test_a_post_without_the_session_csrf_token_is_refused(
    console: Console, token: str | None
) -> None:
    http = console.client("ada@example.org")
    data = {} if token is None else {"csrf_token": token}
    answer = http.post("/staff/logout", data=data)
    assert answer.status_code == 403
    assert http.get("/staff/audit").status_code == 200  # still signed in


def test_the_sign_in_form_itself_needs_its_csrf_token(console: Console) -> None:
    console.add("ada@example.org", "admin")
    http = console.new_client()
    http.get("/staff/login")
    answer = http.post("/staff/login", data={"email": "ada@example.org", "password": PASSWORD})
    assert answer.status_code == 403


def test_a_forged_cookie_is_not_a_session(console: Console) -> None:
    http = console.new_client()
    http.cookies.set("nl_staff", "abc.def", path="/staff")
    assert http.get("/staff/audit").status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/staff/login"])
def test_sign_in_never_sends_a_person_off_the_console(console: Console, target: str) -> None:
    console.add("ada@example.org", "admin")
    http = console.new_client()
    form = http.get("/staff/login")
    answer = http.post(
        "/staff/login",
        data={
            "csrf_token": staff_csrf(form.text),
            "email": "ada@example.org",
            "password": PASSWORD,
            "next": target,
        },
    )
    assert answer.headers["location"] == "/staff/issues"


def test_sign_in_and_out_are_in_the_audit_log_with_the_staff_member(console: Console) -> None:
    http = console.client("ada@example.org")
    console.post(http, "/staff/audit", "/staff/logout")
    console.login(console.new_client(), "ada@example.org", "wrong password")
    actions = [(e.who, e.action) for e in list_entries(console.engine)]
    assert actions[:3] == [
        ("web:staff ip=127.0.0.1", "staff.login_failed"),
        ("staff:ada@example.org", "staff.logout"),
        ("staff:ada@example.org", "staff.login"),
    ]


def test_the_audit_page_lists_the_log_newest_first_in_pages(console: Console) -> None:
    http = console.client("ada@example.org")
    with write_transaction(console.engine) as connection:
        for n in range(55):
            record_action(
                connection, who="os:test", action=f"test.{n}", count=1, now=console.clock()
            )
    first = http.get("/staff/audit")
    assert "test.54" in first.text
    assert "test.4<" not in first.text
    older = first.text.split('href="/staff/audit?before=')[1].split('"')[0]
    second = http.get(f"/staff/audit?before={older}")
    assert "test.4<" in second.text
    assert "staff.login" in second.text
