"""Each role allowed or refused each console action: the table, checked over HTTP."""

from __future__ import annotations

import pytest

from mailer.render.email import Email
from tests.plugins.sending import open_test_campaign
from tests.plugins.staff import Console

NAME = "2026-12-secondary-research.yaml"
ROLES = ("editor", "approver", "operator", "admin")
ALL, APPROVER, OPERATOR, ADMIN = ROLES, ROLES[1:], ROLES[2:], ROLES[3:]

# (action, method, path, form data, roles allowed); {c} is the campaign's number
TABLE = [
    ("see issues", "GET", "/staff/issues", {}, ALL),
    ("see one issue", "GET", f"/staff/issues/{NAME}", {}, ALL),
    ("see campaigns", "GET", "/staff/campaigns/{c}", {}, ALL),
    ("see a report", "GET", "/staff/campaigns/{c}/report", {}, ALL),
    ("send a proof", "POST", f"/staff/issues/{NAME}/proof", {"to": "me"}, ALL),
    ("approve", "POST", f"/staff/issues/{NAME}/approve", {}, APPROVER),
    ("withdraw", "POST", f"/staff/issues/{NAME}/withdraw", {}, APPROVER),
    ("ask to pause", "GET", "/staff/campaigns/{c}/pause", {}, OPERATOR),
    ("pause", "POST", "/staff/campaigns/{c}/pause", {}, OPERATOR),
    ("cancel", "POST", "/staff/campaigns/{c}/cancel", {}, OPERATOR),
    ("resolve", "POST", "/staff/campaigns/{c}/mark-sent", {}, OPERATOR),
    ("find a supporter", "POST", "/staff/supporters", {"email": "a@example.org"}, OPERATOR),
    ("import supporters", "GET", "/staff/supporters/import", {}, OPERATOR),
    ("read the audit log", "GET", "/staff/audit", {}, OPERATOR),
    ("see staff accounts", "GET", "/staff/accounts", {}, ADMIN),
]


@pytest.mark.parametrize(
    ("method", "path", "data", "allowed"),
    [pytest.param(*row[1:], id=row[0]) for row in TABLE],
)
def test_each_role_is_allowed_or_refused(
    console: Console,
    sample_email: Email,
    method: str,
    path: str,
    data: dict[str, str],
    allowed: tuple[str, ...],
) -> None:
    campaign = open_test_campaign(console.engine, sample_email)
    url = path.format(c=campaign.id)
    answers = {}
    for role in ROLES:
        http = console.client(f"{role}@example.org", role)
        if method == "GET":
            answer = http.get(url)
        else:
            answer = console.post(http, "/staff/campaigns", url, **data)
        answers[role] = answer.status_code
    assert answers == {role: (403 if role not in allowed else answers[role]) for role in ROLES}
    assert all(answers[role] in (200, 303) for role in allowed), answers
