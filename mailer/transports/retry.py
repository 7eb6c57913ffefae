"""Retry a batch only while the server surely did not accept it.

:class:`~mailer.transports.errors.NotAccepted` (429, 503, no connection) is retried with
exponential backoff and jitter, waiting at least as long as a 429's ``X-RateLimit-Reset``
asks; everything else propagates at once, above all
:class:`~mailer.transports.errors.MaybeAccepted`, which must never be resent blindly. The
budget is bounded by attempts and by total waiting; when it runs out,
:class:`~mailer.transports.errors.RetryBudgetExhausted` says so.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tenacity import RetryCallState, RetryError, Retrying, retry_if_exception_type

from mailer.render.email import Email
from mailer.transports.base import BatchResult, Outgoing, Transport
from mailer.transports.errors import NotAccepted, RetryBudgetExhausted


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep retrying. ``scale`` multiplies every wait (tests use 0.001)."""

    max_attempts: int = 8
    initial_wait: float = 1.0
    max_wait: float = 60.0
    max_total_wait: float = 300.0
    jitter: float = 1.0
    scale: float = 1.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def wait_for(self, attempt: int, error: BaseException | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        backoff = min(self.max_wait, self.initial_wait * 2.0 ** (attempt - 1))
        if isinstance(error, NotAccepted) and error.retry_after is not None:
            backoff = max(backoff, min(self.max_wait, error.retry_after))
        return (backoff + self.rng.uniform(0, self.jitter)) * self.scale


def send_with_retry(
    transport: Transport,
    email: Email,
    batch: Sequence[Outgoing],
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, NotAccepted, float], None] | None = None,
    test: bool = False,
    sandbox: bool = False,
    custom_args: Mapping[str, str] = {},
) -> BatchResult:
    """``transport.send_batch`` retried while the batch is surely not accepted.

    ``on_retry(attempt, error, wait)`` is called before each wait (for progress output).
    """

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return policy.wait_for(state.attempt_number, error)

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= policy.max_attempts:
            return True
        upcoming = state.upcoming_sleep or 0.0
        return state.idle_for + upcoming > policy.max_total_wait * policy.scale

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if on_retry is not None and isinstance(error, NotAccepted):
            on_retry(state.attempt_number, error, state.upcoming_sleep or 0.0)

    retrying = Retrying(
        retry=retry_if_exception_type(NotAccepted),
        wait=wait,
        stop=stop,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=False,
    )
    try:
        return retrying(
            transport.send_batch,
            email,
            batch,
            test=test,
            sandbox=sandbox,
            custom_args=custom_args,
        )
    except RetryError as exc:
        attempts = exc.last_attempt.attempt_number
        last = exc.last_attempt.exception()
        raise RetryBudgetExhausted(
            f"gave up after {attempts} attempt(s): {last}; nothing in this batch was accepted",
            attempts,
        ) from last
