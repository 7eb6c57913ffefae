"""The fake SendGrid server alone: schema, extra rules, auth, answers, faults, hold, CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from tests.fakesendgrid import SCHEMA_PATH, FakeSendGrid, FaultPlan, check_body
from tests.plugins.sendgrid import post_json

EXAMPLES = json.loads(
    (
        Path(__file__).parents[1] / "data" / "sendgrid" / "mail_send_request.examples.json"
    ).read_text()
)


def minimal(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "personalizations": [
            {
                "to": [{"email": "ann@example.org"}],
                "substitutions": {"%%first_name_html%%": "Ann"},
                "custom_args": {"delivery_id": "d1"},
            }
        ],
        "from": {"email": "news@example.org", "name": "News"},
        "subject": "Hello",
        "content": [
            {"type": "text/plain", "value": "Hi"},
            {"type": "text/html", "value": "<p>Hi</p>"},
        ],
        "custom_args": {"campaign_id": "c1"},
    }
    body.update(changes)
    return body


def many(count: int, per: int = 1) -> list[dict[str, Any]]:
    return [{"to": [{"email": f"p{i}-{j}@example.org"} for j in range(per)]} for i in range(count)]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_official_examples_pass(name: str) -> None:
    assert check_body(EXAMPLES[name]) == []


def test_message_level_custom_args_object_is_accepted_by_patched_schema() -> None:
    assert check_body(minimal(custom_args={"campaign_id": "c1", "issue_id": "i"})) == []


BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("no from", {"from": None}, "from"),
    ("bad recipient", {"personalizations": [{"to": [{"email": "nobody"}]}]}, "email"),
    ("custom args as string", {"custom_args": "c1"}, "custom_args"),
    ("1001 personalizations", {"personalizations": many(1001)}, "personalizations"),
    ("1001 recipients in 501", {"personalizations": many(500, 2) + many(1)}, "personalizations"),
    ("no to", {"personalizations": [{"cc": [{"email": "a@example.org"}]}]}, "to"),
    (
        "html before text",
        {"content": [{"type": "text/html", "value": "x"}, {"type": "text/plain", "value": "x"}]},
        "content",
    ),
    ("no content", {"content": None}, "content"),
    ("no subject", {"subject": None}, "subject"),
    (
        "substitutions of 10,000 bytes",
        {
            "personalizations": [
                {"to": [{"email": "a@example.org"}], "substitutions": {"%%x%%": "é" * 4995}}
            ]
        },
        "substitutions",
    ),
    ("eleven categories", {"categories": [f"c{i}" for i in range(11)]}, "categories"),
]


@pytest.mark.parametrize(
    ("change", "field"), [(c, f) for _, c, f in BAD_BODIES], ids=[n for n, _, _ in BAD_BODIES]
)
def test_bad_bodies_are_rejected_with_sendgrid_error_shape(
    fake_sendgrid: FakeSendGrid, change: dict[str, Any], field: str
) -> None:
    body = minimal(**change)
    body = {key: value for key, value in body.items() if value is not None}
    status, _, answer = post_json(fake_sendgrid.url, body)
    assert status == 400
    errors = answer["errors"]
    assert errors
    assert all(set(err) == {"message", "field", "help"} for err in errors)
    assert any(field in (err["field"] or "") or field in err["message"] for err in errors)
    assert fake_sendgrid.accepted() == []


def test_exactly_1000_recipients_and_under_10000_bytes_pass() -> None:
    body = minimal(personalizations=many(500, 2))
    assert check_body(body) == []
    item = {"to": [{"email": "a@example.org"}], "substitutions": {"%%x%%": "e" * 9000}}
    assert check_body(minimal(personalizations=[item])) == []


SAMPLES = [
    minimal(),
    *EXAMPLES.values(),
    minimal(custom_args="c1"),
    minimal(personalizations=many(1001)),
    minimal(categories=["a", "a"]),
    minimal(**{"from": {"name": "x"}}),
    minimal(content=[{"type": "", "value": "x"}]),
]


@pytest.mark.parametrize("body", SAMPLES)
def test_fastjsonschema_agrees_with_draft_2020_12_validator(body: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(
        json.loads(SCHEMA_PATH.read_text()), format_checker=jsonschema.FormatChecker()
    )
    schema_ok = validator.is_valid(body)
    from tests.fakesendgrid import schema_validator

    try:
        schema_validator()(copy.deepcopy(body))
        fast_ok = True
    except Exception:
        fast_ok = False
    assert fast_ok == schema_ok


@pytest.mark.parametrize("key", [None, "", "SG.wrong-key"])
def test_missing_or_wrong_key_gets_401(fake_sendgrid: FakeSendGrid, key: str | None) -> None:
    status, _, answer = post_json(fake_sendgrid.url, minimal(), key=key)
    assert status == 401
    assert "authorization grant is invalid" in answer["errors"][0]["message"]


def test_any_bearer_key_is_accepted_when_none_is_set(
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
) -> None:
    server = fake_sendgrid_factory()
    status, _, _ = post_json(server.url, minimal(), key="SG.anything")
    assert status == 202


def test_accepted_request_gets_202_message_id_and_rate_limit_headers(
    fake_sendgrid: FakeSendGrid,
) -> None:
    status, headers, answer = post_json(fake_sendgrid.url, minimal())
    assert (status, answer) == (202, None)
    assert headers["X-Message-Id"] == fake_sendgrid.accepted()[0].message_id
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(headers)
    assert fake_sendgrid.accepted_delivery_ids() == ["d1"]


def test_latency_delays_every_answer(
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
) -> None:
    server = fake_sendgrid_factory(latency=0.05)
    started = time.perf_counter()
    status, _, _ = post_json(server.url, minimal(), key="SG.anything")
    assert status == 202
    assert time.perf_counter() - started >= 0.05


def test_sandbox_mode_gets_200_and_is_not_counted_as_accepted(
    fake_sendgrid: FakeSendGrid,
) -> None:
    body = minimal(mail_settings={"sandbox_mode": {"enable": True}})
    status, _, _ = post_json(fake_sendgrid.url, body)
    assert status == 200
    assert fake_sendgrid.accepted() == []
    assert [item.sandbox for item in fake_sendgrid.received] == [True]


def test_unparseable_json_gets_400(fake_sendgrid: FakeSendGrid) -> None:
    status, _, answer = post_json(fake_sendgrid.url, None, raw=b"{not json")
    assert status == 400
    assert answer["errors"][0]["message"] == "Bad Request"


def test_seeded_schedule_repeats_and_roughly_matches_rates() -> None:
    plan = FaultPlan(seed=7, rate429=0.1, rate503=0.1, refuse=0.1)
    first = [f for f, _ in zip(plan.schedule(), range(2000), strict=False)]
    again = [f for f, _ in zip(plan.schedule(), range(2000), strict=False)]
    assert first == again
    for name in ("429", "503", "refuse"):
        assert 140 < first.count(name) < 260
    assert first.count("ok") > 1300


def test_script_runs_then_everything_is_ok() -> None:
    plan = FaultPlan(script=("429", "drop"))
    assert [f for f, _ in zip(plan.schedule(), range(4), strict=False)] == [
        "429",
        "drop",
        "ok",
        "ok",
    ]


def test_unknown_fault_in_script_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        FaultPlan(script=("explode",))


@pytest.mark.parametrize("status", ["429", "503", "500", "502", "504", "403"])
def test_scripted_status_faults_answer_with_that_status(
    fake_sendgrid_factory: Callable[..., FakeSendGrid], status: str
) -> None:
    server = fake_sendgrid_factory(plan=FaultPlan(script=(status,)))
    code, headers, _ = post_json(server.url, minimal())
    assert code == int(status)
    assert "X-RateLimit-Reset" in headers
    assert server.accepted() == []
    assert post_json(server.url, minimal())[0] == 202


def test_accept_then_drop_records_the_request(
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
) -> None:
    server = fake_sendgrid_factory(plan=FaultPlan(script=("accept_then_drop",)))
    with pytest.raises(ConnectionError):
        post_json(server.url, minimal())
    assert server.accepted_delivery_ids() == ["d1"]


def test_drop_records_nothing(fake_sendgrid_factory: Callable[..., FakeSendGrid]) -> None:
    server = fake_sendgrid_factory(plan=FaultPlan(script=("drop",)))
    with pytest.raises(ConnectionError):
        post_json(server.url, minimal())
    assert server.accepted() == []


def test_refuse_closes_the_port_for_a_moment(
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
) -> None:
    server = fake_sendgrid_factory(plan=FaultPlan(script=("ok", "refuse"), refuse_seconds=5))
    assert post_json(server.url, minimal())[0] == 202
    with pytest.raises(OSError, match="Connection refused"):
        post_json(server.url, minimal())


def test_hold_blocks_a_request_until_released(
    fake_sendgrid_factory: Callable[..., FakeSendGrid], tmp_path: Path
) -> None:
    marker = tmp_path / "held.json"
    server = fake_sendgrid_factory(hold_at=1, hold_marker=marker)
    results: list[int] = []
    sender = threading.Thread(target=lambda: results.append(post_json(server.url, minimal())[0]))
    sender.start()
    assert server.held.wait(5)
    assert json.loads(marker.read_text()) == {"request": 1, "delivery_ids": ["d1"]}
    assert results == []
    server.release()
    sender.join(5)
    assert results == [202]


def test_runs_as_a_subprocess_and_records_jsonl(tmp_path: Path) -> None:
    record = tmp_path / "record.jsonl"
    root = Path(__file__).parents[2]
    command = [sys.executable, "-m", "tests.fakesendgrid", "--port", "0", "--record", str(record)]
    with subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            assert post_json(url, minimal(), key="SG.any")[0] == 202
        finally:
            proc.terminate()
            proc.wait(10)
            assert proc.stdout is not None
            proc.stdout.close()
    assert proc.returncode == 0
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [line["delivery_ids"] for line in lines] == [["d1"]]
    assert lines[0]["custom_args"] == {"campaign_id": "c1"}


def test_subprocess_hold_marker_and_release_file(tmp_path: Path) -> None:
    marker = tmp_path / "held.json"
    root = Path(__file__).parents[2]
    command = [
        *(sys.executable, "-m", "tests.fakesendgrid", "--port", "0"),
        *("--hold-marker", str(marker), "--faults", '{"script": ["ok"]}'),
    ]
    with subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            results: list[int] = []
            sender = threading.Thread(target=lambda: results.append(post_json(url, minimal())[0]))
            sender.start()
            for _ in range(500):
                if marker.exists():
                    break
                threading.Event().wait(0.01)
            assert json.loads(marker.read_text())["delivery_ids"] == ["d1"]
            assert results == []
            marker.with_name("held.json.release").touch()
            sender.join(10)
            assert results == [202]
        finally:
            proc.terminate()
            proc.wait(10)
            assert proc.stdout is not None
            proc.stdout.close()
