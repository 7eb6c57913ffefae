"""What can go wrong when a transport hands a batch over, classified by what it means.

SendGrid has no idempotency key, so the one question that matters after a failed request is
whether the mail might have been accepted::

    SendError (mailer.errors)
    ├── NotAccepted             surely not accepted: 429, 503, no connection. Safe to retry.
    │   └── (retry_after)       seconds the server asked us to wait, when it said
    ├── MaybeAccepted           500/502/504, timeout or connection dropped after the request
    │                           was sent. NEVER retried: the batch's fate is unknown.
    ├── Rejected                400: the request is wrong; carries the server's messages.
    ├── AuthFailed              401/403: the API key is missing, wrong or lacks the scope.
    ├── RetryBudgetExhausted    NotAccepted every time until the retry budget ran out.
    └── TooLateToChange         SendGrid refused to cancel or pause a scheduled batch (within
                                10 minutes of its send_at, or already changed): SendGrid has it.

No message here ever contains the API key.
"""

from __future__ import annotations

from mailer.errors import SendError


class NotAccepted(SendError):
    """The server surely did not accept the batch; sending it again is safe."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MaybeAccepted(SendError):
    """The batch may or may not have been accepted; never resend it blindly."""


class Rejected(SendError):
    """The server refused the request as invalid (HTTP 400)."""

    def __init__(self, message: str, messages: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.messages = messages


class AuthFailed(SendError):
    """The server refused the credentials (HTTP 401/403)."""


class RetryBudgetExhausted(SendError):
    """Every attempt was refused until the retry budget ran out."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class TooLateToChange(SendError):
    """SendGrid refused to cancel or pause a scheduled batch: the mail is SendGrid's now."""
