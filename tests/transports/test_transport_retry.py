"""Retrying only what SendGrid surely did not accept, against the fake server."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from mailer.render.email import Email
from mailer.transports import MaybeAccepted, NotAccepted, Rejected, RetryBudgetExhausted
from mailer.transports.retry import RetryPolicy, send_with_retry
from tests.fakesendgrid import FakeSendGrid, FaultPlan
from tests.plugins.sendgrid import make_outgoing, sendgrid_transport_for

FAST = RetryPolicy(
    max_attempts=12, initial_wait=1.0, max_wait=64.0, scale=0.001, rng=random.Random(1)
)


def test_every_recipient_accepted_exactly_once_under_20_percent_faults(
    fake_sendgrid_factory: Callable[..., FakeSendGrid], transport_email: Email
) -> None:
    plan = FaultPlan(seed=7, rate429=0.07, rate503=0.07, refuse=0.06, refuse_seconds=0.2)
    server = fake_sendgrid_factory(plan=plan)
    transport = sendgrid_transport_for(server)
    retries: list[str] = []
    batches = [make_outgoing(100, start=n * 100) for n in range(25)]
    for batch in batches:
        send_with_retry(
            transport,
            transport_email,
            batch,
            policy=FAST,
            on_retry=lambda attempt, error, wait: retries.append(str(error)),
        )
    expected = [item.delivery_id for batch in batches for item in batch]
    assert server.accepted_delivery_ids() == expected
    assert {"429", "503", "refuse"} <= set(server.faults)
    assert any("HTTP 429" in r for r in retries)
    assert any("HTTP 503" in r for r in retries)
    assert any("Connection refused" in r for r in retries)


@pytest.mark.parametrize(
    ("fault", "error"),
    [("500", MaybeAccepted), ("504", MaybeAccepted), ("accept_then_drop", MaybeAccepted)],
)
def test_maybe_accepted_is_never_retried(
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
    transport_email: Email,
    fault: str,
    error: type[Exception],
) -> None:
    server = fake_sendgrid_factory(plan=FaultPlan(script=(fault,)))
    transport = sendgrid_transport_for(server)
    with pytest.raises(error):
        send_with_retry(transport, transport_email, make_outgoing(3), policy=FAST)
    assert server.requests == 1


def test_rejected_is_not_retried(
    fake_sendgrid_factory: Callable[..., FakeSendGrid], transport_email: Email
) -> None:
    server = fake_sendgrid_factory()
    transport = sendgrid_transport_for(server)
    batch = make_outgoing(1)
    bad = [type(batch[0])("d1", "nobody", None, {"%%x%%": "y"}, "https://x.org/u/1")]
    with pytest.raises(Rejected):
        send_with_retry(transport, transport_email, bad, policy=FAST)
    assert server.requests == 1


def test_budget_runs_out_with_a_clear_error(
    fake_sendgrid_factory: Callable[..., FakeSendGrid], transport_email: Email
) -> None:
    server = fake_sendgrid_factory(plan=FaultPlan(script=("503",) * 5))
    transport = sendgrid_transport_for(server)
    policy = RetryPolicy(max_attempts=3, scale=0.001)
    with pytest.raises(RetryBudgetExhausted) as caught:
        send_with_retry(transport, transport_email, make_outgoing(2), policy=policy)
    assert caught.value.attempts == 3
    assert str(caught.value) == (
        "gave up after 3 attempt(s): SendGrid is unavailable (HTTP 503); "
        "nothing in this batch was accepted"
    )
    assert server.requests == 3
    assert server.accepted() == []


def test_total_wait_bounds_the_budget() -> None:
    slept: list[float] = []

    class AlwaysBusy:
        name = "busy"
        target = "nowhere"
        max_batch = 10
        calls = 0

        def send_batch(self, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            raise NotAccepted("busy", retry_after=None)

        def close(self) -> None:
            pass

    policy = RetryPolicy(max_attempts=100, initial_wait=10, max_total_wait=35, jitter=0)
    transport = AlwaysBusy()
    with pytest.raises(RetryBudgetExhausted):
        send_with_retry(transport, None, [], policy=policy, sleep=slept.append)  # type: ignore[arg-type]
    assert slept == [10.0, 20.0]
    assert transport.calls == 3


def test_wait_honours_the_rate_limit_reset() -> None:
    policy = RetryPolicy(initial_wait=1, max_wait=60, jitter=0, scale=1)
    assert policy.wait_for(1, NotAccepted("429", retry_after=17.5)) == 17.5
    assert policy.wait_for(1, NotAccepted("503")) == 1.0
    assert policy.wait_for(3, NotAccepted("503")) == 4.0
    assert policy.wait_for(1, NotAccepted("429", retry_after=600)) == 60.0


def test_waits_are_scaled_and_jittered() -> None:
    policy = RetryPolicy(initial_wait=1, jitter=1, scale=0.001, rng=random.Random(3))
    waits = [policy.wait_for(2, None) for _ in range(50)]
    assert all(0.002 <= wait <= 0.003 for wait in waits)
    assert len(set(waits)) > 40


def test_429_wait_uses_server_reset_through_the_transport(
    fake_sendgrid_factory: Callable[..., FakeSendGrid], transport_email: Email
) -> None:
    server = fake_sendgrid_factory(plan=FaultPlan(script=("429",)))
    transport = sendgrid_transport_for(server, clock=lambda: time.time() - 30)
    slept: list[float] = []
    policy = RetryPolicy(initial_wait=1, jitter=0, scale=1)
    send_with_retry(transport, transport_email, make_outgoing(1), policy=policy, sleep=slept.append)
    assert len(slept) == 1
    assert 30 <= slept[0] <= 32
    assert len(server.accepted()) == 1
