"""The SendGrid transport: the one module that knows SendGrid's v3 ``mail/send`` API.

One request carries up to 1,000 recipients, one personalization each, holding that
recipient's substitutions, ``List-Unsubscribe`` headers and delivery id. The body is built as
plain dicts (the library's ``Mail`` helper is far slower): the part every batch of an email
shares (its HTML and text, most of the bytes) is encoded once per email
(:class:`EncodedFrame`), each batch's personalizations with orjson, and the result is
posted through the official library's public interface: ``client.mail.send.post``, on one
``SendGridAPIClient`` made when the transport is. Its client ``json.dumps`` a body again
unless the ``Content-Type`` is something other than exactly ``application/json``, in which
case it sends the string it is given as UTF-8: the transport sets
``application/json; charset=utf-8`` (the same media type, which SendGrid accepts) once, and
hands ``post`` the encoded text. Failures are classified by whether SendGrid may have
accepted the mail (see :mod:`mailer.transports.errors`).

The library's HTTP client logs the ``Authorization`` header and the payload at DEBUG level;
this module pins that logger to WARNING and filters its records, so the API key never
reaches a log.
"""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from mailer.render.email import Email
from mailer.render.mime import ONE_CLICK, list_id, list_unsubscribe, subject_line
from mailer.transports.base import BatchResult, Outgoing, check_batch_size
from mailer.transports.errors import AuthFailed, MaybeAccepted, NotAccepted, Rejected

DEFAULT_HOST = "https://api.sendgrid.com"
MAX_PERSONALIZATIONS = 1000
MAX_SUBSTITUTION_BYTES = 10_000
MAX_CATEGORIES = 10
CHATTY_LOGGERS = ("python_http_client", "python_http_client.client")
JSON_UTF8 = "application/json; charset=utf-8"
FRAMES_KEPT = 8


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def quiet_library_loggers() -> None:
    """Pin the library's loggers (which log the API key at DEBUG) to WARNING."""
    for name in CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        if _warnings_only not in logger.filters:
            logger.addFilter(_warnings_only)


quiet_library_loggers()


@dataclass(frozen=True)
class SendGridConfig:
    """How to reach SendGrid and what every request turns on or off."""

    api_key: str = field(repr=False)
    host: str = DEFAULT_HOST
    timeout: float = 30.0
    click_tracking: bool = False
    asm_group: int | None = None
    unsubscribe_mailto: str | None = None
    batch_id: str | None = None  # a campaign staged under a cancel window (see ``scheduled``)
    send_at: int | None = None  # Unix seconds


def substitutions_fit(values: Mapping[str, str]) -> bool:
    """Whether one personalization's substitutions are under SendGrid's 10,000 bytes (as JSON).

    A character takes at most 6 bytes in JSON (``\\u001f``), so when six times the characters,
    plus quotes and separators, is under the limit there is no need to encode anything.
    """
    bound = 6 * (sum(map(len, values)) + sum(map(len, values.values())) + len(values)) + 2
    if bound < MAX_SUBSTITUTION_BYTES:
        return True
    exact = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return len(exact) < MAX_SUBSTITUTION_BYTES


def _address(email: str, name: str | None) -> dict[str, str]:
    if not name:
        return {"email": email}
    clean = " ".join(name.replace('"', "").split())
    if "," in clean or ";" in clean:
        clean = f'"{clean}"'
    return {"email": email, "name": clean} if clean else {"email": email}


def build_personalization(outgoing: Outgoing, mailto: str | None = None) -> dict[str, Any]:
    """One recipient's personalization: address, substitutions, headers and delivery id."""
    values = outgoing.substitutions
    if type(values) is not dict:
        values = dict(values)  # a copy only when needed
    if not substitutions_fit(values):
        raise Rejected(
            f"delivery {outgoing.delivery_id}: substitutions are over SendGrid's "
            f"{MAX_SUBSTITUTION_BYTES:,} bytes"
        )
    name = outgoing.to_name
    return {
        "to": [_address(outgoing.to_email, name) if name else {"email": outgoing.to_email}],
        "substitutions": values,
        "custom_args": {"delivery_id": outgoing.delivery_id},
        "headers": {
            "List-Unsubscribe": list_unsubscribe(outgoing.unsubscribe_url, mailto),
            "List-Unsubscribe-Post": ONE_CLICK,
        },
    }


def build_request_body(
    email: Email,
    batch: Sequence[Outgoing],
    config: SendGridConfig,
    *,
    test: bool = False,
    sandbox: bool = False,
    custom_args: Mapping[str, str] = {},
) -> dict[str, Any]:
    """The ``mail/send`` request body for one batch, as plain JSON-ready dicts."""
    check_batch_size("sendgrid", batch, MAX_PERSONALIZATIONS)
    mailto = config.unsubscribe_mailto
    return {
        "personalizations": [build_personalization(item, mailto) for item in batch],
        **request_frame(email, config, test=test, sandbox=sandbox, custom_args=custom_args),
    }


def request_frame(
    email: Email,
    config: SendGridConfig,
    *,
    test: bool = False,
    sandbox: bool = False,
    custom_args: Mapping[str, str] = {},
) -> dict[str, Any]:
    """Everything of a request body but the personalizations: the same for every batch."""
    categories = [email.issue_id[:255]]
    if test:
        categories.append("test")
    if sandbox:
        categories.append("sandbox")
    body: dict[str, Any] = {
        "from": _address(email.from_email, email.from_name),
        "subject": subject_line(email, test=test),
        "content": [
            {"type": "text/plain", "value": email.text},
            {"type": "text/html", "value": email.html},
        ],
        "categories": categories[:MAX_CATEGORIES],
        "headers": {"List-Id": list_id(email)},  # the same for every recipient (RFC 2919)
        "custom_args": {"issue_id": email.issue_id, **custom_args},
        "tracking_settings": {
            "click_tracking": {"enable": config.click_tracking, "enable_text": False},
            "open_tracking": {"enable": False},
            "subscription_tracking": {"enable": False},
        },
    }
    if email.reply_to:
        body["reply_to"] = {"email": email.reply_to}
    if sandbox:
        body["mail_settings"] = {"sandbox_mode": {"enable": True}}
    if config.asm_group is not None:
        body["asm"] = {"group_id": config.asm_group}
    if config.batch_id is not None and not (test or sandbox):
        body["batch_id"] = config.batch_id
        body["send_at"] = config.send_at
    return body


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The request body as compact UTF-8 JSON (what the library's ``post`` would send)."""
    return orjson.dumps(body)


class EncodedFrame:
    """A request frame encoded once, for splicing each batch's personalizations in.

    The frame (the email's HTML and text, most of each request's bytes) is encoded with
    non-ASCII characters escaped: a body whose recipients' names are ASCII is then ASCII
    throughout, which Python turns into a ``str`` (for ``post``) at the speed of a copy.
    """

    def __init__(self, frame: Mapping[str, Any]) -> None:
        rest = json.dumps(frame, ensure_ascii=True, separators=(",", ":"))
        self._tail = b"," + rest[1:].encode("ascii")  # the frame's members, and its "}"

    def body(self, personalizations: list[dict[str, Any]]) -> bytes:
        """The whole request body: the same JSON object as the frame plus the personalizations."""
        return b'{"personalizations":' + orjson.dumps(personalizations) + self._tail


def _error_messages(body: bytes | str | None) -> tuple[str, ...]:
    try:
        data = json.loads(body or b"")
        errors = data.get("errors", [])
        found = []
        for err in errors:
            text = str(err.get("message", "")).strip()
            where = err.get("field")
            found.append(f"{where}: {text}" if where else text)
        return tuple(item for item in found if item)
    except (ValueError, AttributeError, TypeError):
        return ()


def _header(headers: Any, name: str) -> str | None:
    try:
        value = headers.get(name) if headers is not None else None
    except AttributeError:
        return None
    return str(value) if value is not None else None


def _seconds_until(reset: str | None, now: float) -> float | None:
    if reset is None:
        return None
    try:
        return max(0.0, float(reset) - now)
    except ValueError:
        return None


def classify_status(status: int, body: bytes | str | None, headers: Any, now: float) -> Exception:
    """The error for an HTTP error answer from ``mail/send``."""
    if status == 429:
        wait = _seconds_until(_header(headers, "X-RateLimit-Reset"), now)
        return NotAccepted("SendGrid rate limit reached (HTTP 429)", retry_after=wait)
    if status == 503:
        retry = _header(headers, "Retry-After")
        wait = float(retry) if retry and retry.isdigit() else None
        return NotAccepted("SendGrid is unavailable (HTTP 503)", retry_after=wait)
    if status in (401, 403):
        return AuthFailed(
            f"SendGrid refused the API key (HTTP {status}): check that SENDGRID_API_KEY "
            "holds a valid key with the Mail Send permission"
        )
    if 400 <= status < 500:
        messages = _error_messages(body)
        detail = "; ".join(messages) if messages else "no details given"
        return Rejected(f"SendGrid rejected the request (HTTP {status}): {detail}", messages)
    return MaybeAccepted(
        f"SendGrid answered HTTP {status}: the batch may or may not have been accepted"
    )


def _close_cause(exc: BaseException) -> None:
    """Close the urllib response the library's error wraps (else its socket leaks)."""
    inner = exc.__context__
    if isinstance(inner, urllib.error.HTTPError):
        inner.close()


class _EncodedBytes(bytes):
    """The body's bytes, formatted as their size: the library formats every payload into a
    DEBUG message (before the logger drops it), which for a 1,000-recipient body costs more
    than encoding it, and would put addresses in a log if DEBUG were ever on."""

    def __format__(self, spec: str) -> str:
        return f"<{len(self):,} bytes of JSON>"

    def __str__(self) -> str:
        return self.__format__("")

    def __repr__(self) -> str:
        return self.__format__("")


class EncodedBody(str):
    """JSON text whose ``encode("utf-8")`` hands back the bytes it was made from, uncopied.

    What ``post(request_body=…)`` is given: the library calls ``request_body.encode("utf-8")``
    when the content type is not exactly ``application/json``, and gets the very bytes orjson
    produced. As a ``str`` it is the same JSON text, so any other use of it is still right.
    """

    _data: bytes

    def __new__(cls, data: bytes) -> EncodedBody:
        text = super().__new__(cls, data.decode("utf-8"))
        text._data = _EncodedBytes(data)
        return text

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
            return self._data
        return str(self).encode(encoding, errors)


class SendGridTransport:
    """Sends batches through SendGrid's v3 ``mail/send`` with the official library."""

    name = "sendgrid"
    max_batch = MAX_PERSONALIZATIONS
    max_concurrency = 16  # requests in flight from one process; SendGrid takes many at once
    supports_sandbox = True  # mail_settings.sandbox_mode: validated, delivered to no one

    def __init__(self, config: SendGridConfig, *, clock: Callable[[], float] = time.time):
        from sendgrid import SendGridAPIClient

        if not config.api_key:
            from mailer.errors import TransportConfigError

            raise TransportConfigError("SENDGRID_API_KEY is not set")
        quiet_library_loggers()
        self.config = config
        self.target = config.host
        self._clock = clock
        api = SendGridAPIClient(config.api_key, host=config.host.rstrip("/"))
        api.client.timeout = config.timeout
        # Set once, before any thread posts (``post`` only reads it from then on): anything
        # but exactly ``application/json`` makes the client send our text as it is.
        api.client.request_headers["Content-Type"] = JSON_UTF8
        self._mail_send = api.client.mail.send  # the endpoint, built once
        self._frames: dict[tuple[object, ...], tuple[Email, EncodedFrame]] = {}

    def __repr__(self) -> str:
        return f"SendGridTransport(host={self.config.host!r})"

    def scheduled(self, batch_id: str, send_at: int) -> SendGridTransport:
        """This transport with every campaign request under ``batch_id``, sent at ``send_at``."""
        config = replace(self.config, batch_id=batch_id, send_at=send_at)
        return SendGridTransport(config, clock=self._clock)

    def describe_batch(
        self, email: Email, batch: Sequence[Outgoing], custom_args: Mapping[str, str] = {}
    ) -> dict[str, Any]:
        """The request body ``send_batch`` would post, with this transport's settings."""
        return build_request_body(email, batch, self.config, custom_args=custom_args)

    def send_batch(
        self,
        email: Email,
        batch: Sequence[Outgoing],
        *,
        test: bool = False,
        sandbox: bool = False,
        custom_args: Mapping[str, str] = {},
    ) -> BatchResult:
        check_batch_size("sendgrid", batch, MAX_PERSONALIZATIONS)
        frame = self._frame(email, test=test, sandbox=sandbox, custom_args=custom_args)
        mailto = self.config.unsubscribe_mailto
        personalizations = [build_personalization(item, mailto) for item in batch]
        return self.post_encoded(frame.body(personalizations), len(batch))

    def _frame(
        self, email: Email, *, test: bool, sandbox: bool, custom_args: Mapping[str, str]
    ) -> EncodedFrame:
        """The encoded frame for ``email`` (kept for the last few emails: a campaign's
        thousands of batches share one)."""
        key = (id(email), test, sandbox, tuple(custom_args.items()))
        found = self._frames.get(key)
        if found is not None and found[0] is email:
            return found[1]
        frame = EncodedFrame(
            request_frame(email, self.config, test=test, sandbox=sandbox, custom_args=custom_args)
        )
        if len(self._frames) >= FRAMES_KEPT:
            self._frames.clear()
        self._frames[key] = (email, frame)
        return frame

    def post(self, body: Mapping[str, Any], recipients: int) -> BatchResult:
        """POST one prepared body; classify every failure."""
        return self.post_encoded(encode_body(body), recipients)

    def post_encoded(self, data: bytes, recipients: int) -> BatchResult:
        """POST one body already encoded as JSON; classify every failure."""
        from python_http_client.exceptions import HTTPError as LibraryHTTPError

        try:
            response = self._mail_send.post(
                request_body=EncodedBody(data), timeout=self.config.timeout
            )
        except LibraryHTTPError as exc:
            _close_cause(exc)
            raise classify_status(exc.status_code, exc.body, exc.headers, self._clock()) from None
        except urllib.error.HTTPError as exc:  # not wrapped by the library: still classify
            with exc:
                raise classify_status(exc.code, exc.read(), exc.headers, self._clock()) from None
        except urllib.error.URLError as exc:
            # urllib wraps errors raised while connecting or writing the request: the whole
            # request never reached SendGrid, so it cannot have been accepted.
            raise NotAccepted(f"could not reach SendGrid at {self.target}: {exc.reason}") from None
        except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as exc:
            # Raised while waiting for the answer: the request was sent.
            raise MaybeAccepted(
                f"no answer from SendGrid after the request was sent ({type(exc).__name__}): "
                "the batch may or may not have been accepted"
            ) from None
        message_id = _header(response.headers, "X-Message-Id")
        return BatchResult(message_id=message_id, accepted=recipients, status=response.status_code)

    def close(self) -> None:
        """Nothing to release: every request opens and closes its own connection."""
