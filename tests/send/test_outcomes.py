"""The outcome table as data, and the transport's ``max_concurrency`` capping the threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import Engine

from mailer.render.email import Email
from mailer.send.links import RecipientLinks
from mailer.send.outcomes import OUTCOMES, describe, outcome_of
from mailer.send.sender import send_campaign
from mailer.send.states import CampaignState, DeliveryState
from mailer.transports.base import BatchResult, Outgoing
from mailer.transports.errors import (
    AuthFailed,
    MaybeAccepted,
    NotAccepted,
    Rejected,
    RetryBudgetExhausted,
)
from tests.plugins.sending import FakeClock, add_people, fast_options, open_test_campaign


def test_the_table_says_what_the_sender_docstring_says() -> None:
    table = {
        (None if kind is None else kind.__name__): (o.delivery, o.campaign, o.stop)
        for kind, o in OUTCOMES.items()
    }
    assert table == {
        None: (DeliveryState.ACCEPTED, None, False),
        "MaybeAccepted": (DeliveryState.UNKNOWN, None, False),
        "Rejected": (DeliveryState.FAILED, CampaignState.FAILED, True),
        "AuthFailed": (DeliveryState.QUEUED, None, True),
        "RetryBudgetExhausted": (DeliveryState.QUEUED, CampaignState.PAUSED, True),
    }
    assert OUTCOMES[RetryBudgetExhausted].auto_resume
    assert not OUTCOMES[Rejected].auto_resume


def test_an_error_outside_the_table_has_no_outcome() -> None:
    assert outcome_of(NotAccepted("busy")) is None  # retried, never reaches the table
    assert outcome_of(KeyError("bug")) is None
    assert outcome_of(None) is OUTCOMES[None]


def test_notes_and_reasons() -> None:
    assert describe(Rejected("bad", ("from: required", "subject: empty"))) == (
        "from: required; subject: empty",
        "SendGrid refused the request (400): from: required; subject: empty",
    )
    assert describe(Rejected("bad request")) == (
        "bad request",
        "SendGrid refused the request (400): bad request",
    )
    assert describe(MaybeAccepted("timeout")) == ("timeout", None)
    assert describe(AuthFailed("key")) == (None, None)
    note, reason = describe(RetryBudgetExhausted("gave up", 3))
    assert note is None
    assert reason == "paused: gave up — the next run resumes it"


class CountingTransport:
    """A transport of this test's own: accepts every batch slowly, counting those in flight."""

    name = "counting"
    target = "memory"
    max_batch = 10
    supports_sandbox = False

    def __init__(self, max_concurrency: int) -> None:
        self.max_concurrency = max_concurrency
        self.in_flight = 0
        self.most = 0
        self.lock = threading.Lock()

    def send_batch(
        self,
        email: Email,
        batch: Sequence[Outgoing],
        *,
        test: bool = False,
        sandbox: bool = False,
        custom_args: Mapping[str, str] = {},
    ) -> BatchResult:
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        time.sleep(0.02)
        with self.lock:
            self.in_flight -= 1
        return BatchResult(message_id=None, accepted=len(batch))

    def describe_batch(
        self, email: Email, batch: Sequence[Outgoing], custom_args: Mapping[str, str] = {}
    ) -> dict[str, Any]:
        return {"recipients": len(batch)}

    def close(self) -> None:
        """Nothing to close."""


@pytest.mark.parametrize(("capability", "most"), [(1, 1), (2, 2)])
def test_threads_are_capped_by_the_transports_max_concurrency(
    engine: Engine,
    sample_email: Email,
    recipient_links: RecipientLinks,
    send_clock: FakeClock,
    capability: int,
    most: int,
) -> None:
    add_people(engine, 80)
    transport = CountingTransport(capability)
    report = send_campaign(
        engine,
        open_test_campaign(engine, sample_email),
        transport,
        recipient_links,
        options=fast_options(concurrency=4),
        clock=send_clock,
    )
    assert report.status == "sent"
    assert report.counts["accepted"] == 80
    assert transport.most == most
