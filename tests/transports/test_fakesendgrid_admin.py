"""The fake SendGrid server's account endpoints answer as the official spec says."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from tests.fakesendgrid import FakeSendGrid, FaultPlan
from tests.plugins.sendgrid import TEST_API_KEY


def call(server: FakeSendGrid, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        server.url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {TEST_API_KEY}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"null")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v3/suppression/bounces?limit=501", None),
        ("GET", "/v3/suppression/bounces?limit=0", None),
        ("GET", "/v3/suppression/blocks?offset=-1", None),
        ("GET", "/v3/suppression/spam_reports?start_time=yesterday", None),
        ("POST", "/v3/asm/suppressions/global", {"emails": ["a@example.org"]}),
        ("POST", "/v3/asm/groups/12/suppressions", {"recipient_emails": ["not an address"]}),
        ("POST", "/v3/user/scheduled_sends", {"batch_id": "abc", "status": "stop"}),
    ],
)
def test_requests_outside_the_spec_are_refused_with_400(
    server: FakeSendGrid, method: str, path: str, body: Any
) -> None:
    status, payload = call(server, method, path, body)
    assert status == 400
    assert payload["errors"][0]["message"]


def test_a_batch_id_is_made_validated_and_cancelled_once(server: FakeSendGrid) -> None:
    status, made = call(server, "POST", "/v3/mail/batch")
    assert status == 201
    batch_id = made["batch_id"]
    assert call(server, "GET", f"/v3/mail/batch/{batch_id}")[0] == 200
    assert call(server, "GET", "/v3/mail/batch/nosuch") == (
        400,
        {"errors": [{"message": "invalid batch id", "field": "null"}]},
    )
    change = {"batch_id": batch_id, "status": "cancel"}
    assert call(server, "POST", "/v3/user/scheduled_sends", change) == (201, change)
    assert call(server, "POST", "/v3/user/scheduled_sends", change)[0] == 400


def test_per_path_faults_come_from_json_and_hit_only_their_path(
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
) -> None:
    plan = FaultPlan.from_json('{"per_path": {"/v3/suppression/blocks": ["503"]}}')
    server = fake_sendgrid_factory(api_key=TEST_API_KEY, plan=plan)
    assert call(server, "GET", "/v3/suppression/bounces")[0] == 200
    assert call(server, "GET", "/v3/suppression/blocks")[0] == 503
    assert call(server, "GET", "/v3/suppression/blocks")[0] == 200


def test_seeded_entries_are_listed_newest_first_within_the_time_range(
    server: FakeSendGrid,
) -> None:
    for created in (100, 200, 300):
        server.admin.seed("invalid_emails", f"x{created}@example.org", created)
    status, rows = call(server, "GET", "/v3/suppression/invalid_emails?start_time=150&end_time=300")
    assert status == 200
    assert [row["email"] for row in rows] == ["x300@example.org", "x200@example.org"]
