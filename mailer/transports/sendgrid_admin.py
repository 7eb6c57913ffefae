"""SendGrid's account APIs beyond ``mail/send``: suppression lists, batch ids, scheduled sends.

The one module (with :mod:`mailer.transports.sendgrid`) that knows SendGrid's URLs and JSON. It
goes through the official library's fluent client (``client.suppression.bounces.get``,
``client.asm.suppressions._("global").post``, ``client.asm.groups._(id).suppressions.post``,
``client.mail.batch.post``, ``client.user.scheduled_sends.post``) and hands back plain values:

- :meth:`SendGridAdmin.list_page`: one page of a suppression list (``start_time``,
  ``end_time``, ``limit``, ``offset``), as :class:`SuppressionEntry` values;
- :meth:`SendGridAdmin.suppress`: add addresses to the global suppressions, or to an
  unsubscribe (ASM) group;
- :meth:`SendGridAdmin.new_batch_id` and :meth:`SendGridAdmin.change_batch` (cancel or pause
  a scheduled batch): the cancel window of a campaign.

Every call is retried with tenacity while SendGrid answers 429 (waiting for
``X-RateLimit-Reset``), 5xx or cannot be reached, within a :class:`RetryPolicy`'s bounds: each
of these requests is safe to repeat (reads, adding an address that is already there, a batch id
never used; a cancel sent twice is refused the second time, reported as
:class:`TooLateToChange`).
No message or log line here contains the API key.
"""

from __future__ import annotations

import json
import time
import urllib.error
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tenacity import RetryError, Retrying, retry_if_exception_type

from mailer.config import SENDGRID_API_KEY, Config
from mailer.transports.errors import (
    AuthFailed,
    NotAccepted,
    Rejected,
    RetryBudgetExhausted,
    TooLateToChange,
)
from mailer.transports.retry import RetryPolicy
from mailer.transports.sendgrid import DEFAULT_HOST, SendGridConfig, quiet_library_loggers

#: SendGrid's suppression lists, by the name of their endpoint under ``/v3/suppression/``.
LIST_TYPES = ("bounces", "blocks", "spam_reports", "invalid_emails", "unsubscribes")
MAX_PAGE = 500  # ``limit`` of the list endpoints (PaginationCommonLimit)


@dataclass(frozen=True, slots=True)
class SuppressionEntry:
    """One row of a SendGrid suppression list."""

    email: str
    created: int  # Unix seconds
    reason: str = ""
    status: str = ""


def _header(headers: Any, name: str) -> str | None:
    try:
        value = headers.get(name) if headers is not None else None
    except AttributeError:
        return None
    return str(value) if value is not None else None


def _messages(body: bytes | str | None) -> str:
    try:
        errors = json.loads(body or b"").get("errors", [])
        text = "; ".join(str(err.get("message", "")).strip() for err in errors)
    except (ValueError, AttributeError, TypeError):
        return "no details given"
    return text or "no details given"


def classify_admin_status(
    status: int, body: bytes | str | None, headers: Any, now: float, what: str
) -> Exception:
    """The error for an HTTP error answer to one of these (repeatable) requests."""
    if status == 429:
        reset = _header(headers, "X-RateLimit-Reset")
        try:
            wait = max(0.0, float(reset) - now) if reset is not None else None
        except ValueError:
            wait = None
        return NotAccepted(f"{what}: SendGrid rate limit reached (HTTP 429)", retry_after=wait)
    if status >= 500:
        return NotAccepted(f"{what}: SendGrid answered HTTP {status}")
    if status in (401, 403):
        return AuthFailed(
            f"{what}: SendGrid refused the API key (HTTP {status}): check that "
            "SENDGRID_API_KEY holds a key with the Suppressions and Mail Send permissions"
        )
    return Rejected(f"{what}: SendGrid refused the request (HTTP {status}): {_messages(body)}")


def admin_from_config(config: Config) -> SendGridAdmin:
    """The account APIs with the environment's key, host and timeout."""
    from mailer.errors import TransportConfigError

    if not config.sendgrid_api_key:
        raise TransportConfigError(f"{SENDGRID_API_KEY} is not set")
    return SendGridAdmin(
        SendGridConfig(
            api_key=config.sendgrid_api_key.reveal(),
            host=config.sendgrid_api_host or DEFAULT_HOST,
            timeout=config.sendgrid_timeout,
        )
    )


class SendGridAdmin:
    """The account APIs, through one ``SendGridAPIClient``; see the module docstring."""

    def __init__(
        self,
        config: SendGridConfig,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        from sendgrid import SendGridAPIClient

        if not config.api_key:
            from mailer.errors import TransportConfigError

            raise TransportConfigError("SENDGRID_API_KEY is not set")
        quiet_library_loggers()
        self.config = config
        self.policy = policy or RetryPolicy(max_attempts=6, max_total_wait=120.0)
        self._sleep = sleep
        self._clock = clock
        api = SendGridAPIClient(config.api_key, host=config.host.rstrip("/"))
        api.client.timeout = config.timeout
        self._client = api.client
        self.requests = 0  # HTTP requests made, retries included

    def __repr__(self) -> str:
        return f"SendGridAdmin(host={self.config.host!r})"

    # -- the calls ----------------------------------------------------------------------------

    def list_page(
        self, list_type: str, *, start_time: int, end_time: int, limit: int, offset: int
    ) -> list[SuppressionEntry]:
        """One page of ``/v3/suppression/<list_type>``, created in [start_time, end_time]."""
        if list_type not in LIST_TYPES:
            raise ValueError(f"unknown suppression list {list_type!r}")
        endpoint = getattr(self._client.suppression, list_type)
        query = {
            "start_time": start_time,
            "end_time": end_time,
            "limit": min(limit, MAX_PAGE),
            "offset": offset,
        }
        body = self._call(f"reading {list_type}", lambda: endpoint.get(query_params=query))
        rows = json.loads(body or b"[]")
        return [
            SuppressionEntry(
                email=str(row["email"]),
                created=int(row.get("created", 0)),
                reason=str(row.get("reason", "")),
                status=str(row.get("status", "")),
            )
            for row in rows
            if isinstance(row, dict) and row.get("email")
        ]

    def suppress(self, emails: Sequence[str], group_id: int | None = None) -> None:
        """Add ``emails`` to the global suppressions, or to unsubscribe group ``group_id``."""
        body = {"recipient_emails": list(emails)}
        if group_id is None:
            endpoint = self._client.asm.suppressions._("global")
            what = "adding global suppressions"
        else:
            endpoint = self._client.asm.groups._(str(group_id)).suppressions
            what = f"adding suppressions to group {group_id}"
        self._call(what, lambda: endpoint.post(request_body=body))

    def new_batch_id(self) -> str:
        """A new batch id (``POST /v3/mail/batch``) to send a campaign's requests under."""
        body = self._call("creating a batch id", lambda: self._client.mail.batch.post())
        batch_id = json.loads(body or b"{}").get("batch_id")
        if not isinstance(batch_id, str) or not batch_id:
            raise Rejected("creating a batch id: SendGrid's answer held no batch_id")
        return batch_id

    def change_batch(self, batch_id: str, status: str) -> None:
        """Cancel (``status="cancel"``) or pause a scheduled batch; :class:`TooLateToChange`
        when SendGrid refuses (within 10 minutes of ``send_at``, or changed already)."""
        body = {"batch_id": batch_id, "status": status}
        endpoint = self._client.user.scheduled_sends
        try:
            self._call(f"{status} batch {batch_id}", lambda: endpoint.post(request_body=body))
        except Rejected as exc:
            raise TooLateToChange(str(exc)) from None

    def clear_batch(self, batch_id: str) -> bool:
        """Delete a pause (or cancel) of a scheduled batch; False when it had none."""
        endpoint = self._client.user.scheduled_sends._(batch_id)
        try:
            self._call(f"resuming batch {batch_id}", lambda: endpoint.delete())
        except Rejected:
            return False
        return True

    # -- plumbing -----------------------------------------------------------------------------

    def _once(self, what: str, request: Callable[[], Any]) -> bytes:
        from python_http_client.exceptions import HTTPError as LibraryHTTPError

        self.requests += 1
        try:
            response = request()
        except LibraryHTTPError as exc:
            inner = exc.__context__
            if isinstance(inner, urllib.error.HTTPError):
                inner.close()
            raise classify_admin_status(
                exc.status_code, exc.body, exc.headers, self._clock(), what
            ) from None
        except urllib.error.HTTPError as exc:
            with exc:
                raise classify_admin_status(
                    exc.code, exc.read(), exc.headers, self._clock(), what
                ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", None) or type(exc).__name__
            raise NotAccepted(
                f"{what}: could not reach SendGrid at {self.config.host}: {reason}"
            ) from None
        body = response.body
        return body if isinstance(body, bytes) else str(body or "").encode("utf-8")

    def _call(self, what: str, request: Callable[[], Any]) -> bytes:
        policy = self.policy

        def wait(state: Any) -> float:
            error = state.outcome.exception() if state.outcome else None
            return policy.wait_for(state.attempt_number, error)

        def stop(state: Any) -> bool:
            if state.attempt_number >= policy.max_attempts:
                return True
            upcoming = state.upcoming_sleep or 0.0
            return bool(state.idle_for + upcoming > policy.max_total_wait * policy.scale)

        retrying = Retrying(
            retry=retry_if_exception_type(NotAccepted),
            wait=wait,
            stop=stop,
            sleep=self._sleep,
            reraise=False,
        )
        try:
            return retrying(self._once, what, request)
        except RetryError as exc:
            attempts = exc.last_attempt.attempt_number
            last = exc.last_attempt.exception()
            raise RetryBudgetExhausted(
                f"gave up after {attempts} attempt(s): {last}", attempts
            ) from last
