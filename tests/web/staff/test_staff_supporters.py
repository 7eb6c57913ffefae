"""Supporters in the console: exact search, one supporter, unsubscribe, link, forget, import."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from subscribers.audit import list_entries
from subscribers.keys import AddressHasher
from subscribers.models import SOFT_OPT_IN
from subscribers.records import Basis, Consent, Subscriber, get_by_email
from subscribers.store import subscribe
from tests.plugins.staff import STAFF_SECRET, Console, staff_csrf

DATA = Path(__file__).parents[2] / "data" / "subscribers"


def _add(console: Console, address: str) -> Subscriber:
    return subscribe(
        console.engine,
        address,
        "research-news",
        consent=Consent(source="form", wording="Yes please"),
        hasher=AddressHasher((STAFF_SECRET.encode(),)),
        who="test",
        first_name="Ann",
        confirmed=True,
        now=console.clock(),
    )


@pytest.mark.parametrize(
    "typed", ["ann@example", "nn@example.org", "%@example.org", "ann@example.org ", "*"]
)
def test_search_lists_only_the_exact_match(console: Console, typed: str) -> None:
    for address in ("ann@example.org", "anne@example.org", "ann@example.org.uk"):
        _add(console, address)
    http = console.client("op@example.org", "operator")
    answer = console.post(http, "/staff/supporters", "/staff/supporters", email=typed)
    links = HTMLParser(answer.text).css("#results a")
    if typed.strip() == "ann@example.org":
        assert [a.text() for a in links] == ["ann@example.org"]
    else:
        assert links == []
        assert "No supporter has exactly that address" in answer.text


def test_search_is_case_blind_on_the_address(console: Console) -> None:
    _add(console, "ann@example.org")
    http = console.client("op@example.org", "operator")
    answer = console.post(http, "/staff/supporters", "/staff/supporters", email="ANN@Example.org")
    assert [a.text() for a in HTMLParser(answer.text).css("#results a")] == ["ann@example.org"]


def test_one_supporter_shows_each_lists_lawful_basis_with_its_evidence(console: Console) -> None:
    ann = _add(console, "ann@example.org")
    soft = Basis(
        SOFT_OPT_IN,
        context="donated at the 2026 Race for Life",
        opt_out_evidence="donation form DF-7",
        opt_out_offered_on=date(2026, 2, 1),
    )
    subscribe(
        console.engine,
        "ann@example.org",
        "appeals",
        consent=Consent(source="import", basis=soft),
        hasher=AddressHasher((STAFF_SECRET.encode(),)),
        who="test",
        confirmed=True,
        now=console.clock(),
    )
    http = console.client("op@example.org", "operator")
    page = HTMLParser(http.get(f"/staff/supporters/{ann.public_id}").text)
    shown = {
        node.attributes["data-basis"]: node.text(strip=True) for node in page.css("[data-basis]")
    }
    assert shown == {
        "research-news": "consent",
        "appeals": "charitable_soft_opt_in: donated at the 2026 Race for Life; "
        "opt-out offered 2026-02-01 (donation form DF-7)",
    }


def test_one_supporter_shows_lists_consent_and_history(console: Console) -> None:
    ann = _add(console, "ann@example.org")
    http = console.client("op@example.org", "operator")
    page = http.get(f"/staff/supporters/{ann.public_id}").text
    assert "research-news" in page
    assert "Yes please" in page  # the consent wording
    assert "subscribe" in page  # the history from the audit log


def test_unsubscribe_from_the_page_is_audited_with_the_staff_member(console: Console) -> None:
    ann = _add(console, "ann@example.org")
    http = console.client("op@example.org", "operator")
    page = f"/staff/supporters/{ann.public_id}"
    assert console.post(http, page, f"{page}/unsubscribe").status_code == 303
    found = get_by_email(console.engine, "ann@example.org")
    assert found is not None
    assert found.lists == {"research-news": "unsubscribed"}
    entry = list_entries(console.engine, limit=1)[0]
    assert (entry.who, entry.action, entry.subject) == (
        "staff:op@example.org",
        "unsubscribe",
        ann.public_id,
    )


def test_resend_link_puts_their_link_in_the_outbox(console: Console) -> None:
    ann = _add(console, "ann@example.org")
    http = console.client("op@example.org", "operator")
    page = f"/staff/supporters/{ann.public_id}"
    answer = console.post(http, page, f"{page}/link")
    assert "on%20its%20way" in answer.headers["location"]
    sent = list(console.outbox.rglob("*.eml"))
    assert len(sent) == 1
    assert "ann@example.org" in sent[0].read_text()


def test_forget_needs_the_address_typed_again(console: Console) -> None:
    ann = _add(console, "ann@example.org")
    http = console.client("op@example.org", "operator")
    page = f"/staff/supporters/{ann.public_id}"
    refused = console.post(http, page, f"{page}/forget", confirm="someone@example.org")
    assert "Nothing%20was%20forgotten" in refused.headers["location"]
    assert get_by_email(console.engine, "ann@example.org") is not None
    done = console.post(http, page, f"{page}/forget", confirm="Ann@example.org")
    assert done.headers["location"].startswith("/staff/supporters?done=Forgotten")
    assert get_by_email(console.engine, "ann@example.org") is None
    assert http.get(page).status_code == 404
    entry = list_entries(console.engine, limit=1)[0]
    assert (entry.who, entry.action) == ("staff:op@example.org", "forget")


def test_import_shows_the_summary_and_the_rejected_rows(console: Console) -> None:
    http = console.client("op@example.org", "operator")
    token = staff_csrf(http.get("/staff/supporters/import").text)
    content = (DATA / "invalid_addresses.csv").read_bytes()
    answer = http.post(
        "/staff/supporters/import",
        data={"csrf_token": token, "list": "research-news"},
        files={"file": ("people.csv", content, "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    page = HTMLParser(answer.text)
    summary = {
        str(row.attributes["data-key"]): int(row.css("td")[0].text())
        for row in page.css("#import-summary tr")
    }
    assert summary["added"] >= 1
    assert summary["rejected"] >= 1
    assert len(page.css("#rejects tbody tr")) == min(summary["rejected"], 10)
    assert get_by_email(console.engine, "ann@example.org") is not None


def test_a_file_that_cannot_be_imported_is_one_line(console: Console) -> None:
    http = console.client("op@example.org", "operator")
    token = staff_csrf(http.get("/staff/supporters/import").text)
    answer = http.post(
        "/staff/supporters/import",
        data={"csrf_token": token, "list": "research-news"},
        files={"file": ("x.csv", (DATA / "no_email_column.csv").read_bytes(), "text/csv")},
    )
    assert answer.status_code == 400
    error = HTMLParser(answer.text).css_first("p.error")
    assert error is not None
    assert error.text().startswith("x.csv: ")
