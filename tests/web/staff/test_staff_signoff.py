"""Sign-off from the one-issue page: proofs into the outbox, approval under the staff name."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from mailer.send.approvals import standing_approvals
from mailer.send.proofs import list_proofs
from subscribers.audit import list_entries
from tests.plugins.staff import Console

NAME = "2026-12-secondary-research.yaml"


def _issue_id(console: Console) -> str:
    page = HTMLParser(console.client("ed@example.org", "editor").get(f"/staff/issues/{NAME}").text)
    node = page.css("dl.facts dd code")[1]
    return node.text()


def test_a_proof_to_me_lands_in_the_outbox_and_is_listed(console: Console) -> None:
    http = console.client("ed@example.org", "editor")
    page = f"/staff/issues/{NAME}"
    answer = console.post(http, page, f"{page}/proof", to="me")
    assert answer.status_code == 303
    assert "Proof%20of%20version" in answer.headers["location"], answer.headers["location"]
    sent = list(console.outbox.rglob("*.eml"))
    assert len(sent) == 1
    text = sent[0].read_text()
    assert "To: ed@example.org" in text
    assert "[PROOF" in text
    issue_id = _issue_id(console)
    proofs = list_proofs(console.engine, issue_id)
    assert [(p.recipients, p.requested_by) for p in proofs] == [
        (("ed@example.org",), "staff:ed@example.org")
    ]
    rows = HTMLParser(http.get(page).text).css("#proofs tbody tr")
    assert "ed@example.org" in rows[0].text()


def test_a_proof_to_typed_addresses_checks_each(console: Console) -> None:
    http = console.client("ed@example.org", "editor")
    page = f"/staff/issues/{NAME}"
    refused = console.post(http, page, f"{page}/proof", addresses="a@example.org,not-an-address")
    assert "No%20proof%20sent" in refused.headers["location"]
    assert list(console.outbox.rglob("*.eml")) == []
    sent = console.post(http, page, f"{page}/proof", addresses="a@example.org, b@example.org")
    assert sent.status_code == 303
    assert len(list(console.outbox.rglob("*.eml"))) == 2


def test_approval_from_the_page_is_recorded_with_the_staff_members_name(console: Console) -> None:
    console.add("ann@example.org", "approver", name="Ann Approver")
    http = console.client("ann@example.org")
    page = f"/staff/issues/{NAME}"
    answer = console.post(http, page, f"{page}/approve")
    assert "Ann%20Approver%20approved%20version" in answer.headers["location"]
    approvals = standing_approvals(console.engine, _issue_id(console))
    assert [a.by for a in approvals] == ["Ann Approver"]
    shown = HTMLParser(http.get(page).text).css_first("#approved-by")
    assert shown is not None
    assert shown.text() == "Ann Approver"
    entry = next(e for e in list_entries(console.engine) if "approved by" in e.detail)
    assert entry.who == "staff:ann@example.org"
    assert "approved by Ann Approver" in entry.detail


def test_withdraw_from_the_page_ends_the_approval(console: Console) -> None:
    console.add("ann@example.org", "approver", name="Ann Approver")
    http = console.client("ann@example.org")
    page = f"/staff/issues/{NAME}"
    console.post(http, page, f"{page}/approve")
    answer = console.post(http, page, f"{page}/withdraw")
    assert "Withdrew%201%20approval" in answer.headers["location"]
    assert standing_approvals(console.engine, _issue_id(console)) == []
