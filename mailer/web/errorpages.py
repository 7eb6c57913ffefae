"""The one place where errors become HTTP answers.

The core raises the project's own errors (``mailer.errors``; later ``subscribers.errors``);
this module maps each class to a status code and a friendly message. People get a branded HTML
page, machines (the webhook, ``/healthz``, clients asking for JSON) get ``{"error", "detail"}``.
Nothing shown ever contains a stack trace, an exception's repr or a setting's value: 5xx
answers carry a fixed message, and only the classes listed in :data:`PUBLIC_DETAIL` pass their
own (hand-written) message through.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from mailer.errors import (
    BadSignature,
    MailerError,
    MalformedPayload,
    StaleTimestamp,
    WebhookConfigError,
    WebhookError,
)
from mailer.web.csrf import CsrfRejected
from mailer.web.pages import Pages, plain_error_page
from mailer.web.security import HeaderPolicy, security_headers
from subscribers.errors import (
    DatabaseError,
    ExpiredToken,
    InvalidToken,
    MissingSecretKey,
    SubscriberError,
)

log = logging.getLogger("mailer.web")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    title: str
    message: str
    link: tuple[str, str] | None = None  # (href, text): where to go next, on the HTML page


# Most specific class first; the first class the error is an instance of wins.
ERROR_ANSWERS: dict[type[Exception], Answer] = {
    BadSignature: Answer(403, "Forbidden", "The request signature is missing or invalid."),
    StaleTimestamp: Answer(403, "Forbidden", "The request is too old or from the future."),
    MalformedPayload: Answer(400, "Bad request", "The request body is not valid."),
    WebhookConfigError: Answer(
        503, "Not ready", "This service is not configured yet. Please try again later."
    ),
    WebhookError: Answer(400, "Bad request", "The request was refused."),
    CsrfRejected: Answer(
        403,
        "Please try again",
        "This form has expired or was sent from another site, so nothing was changed. Please "
        "reload the page and send it again (cookies must be allowed for this site).",
    ),
    MailerError: Answer(
        500, "Something went wrong", "Sorry, something went wrong on our side. Please try later."
    ),
    ExpiredToken: Answer(
        400,
        "This link has expired",
        "Confirmation links last 7 days. Ask for a new one and we will email it to you.",
        ("/link", "Email me a new link"),
    ),
    InvalidToken: Answer(
        400,
        "This link is not valid",
        "Sorry, we could not read this link, so nothing was changed. It may have been cut "
        "short by your email program: try copying the whole link, or ask for a new one.",
        ("/link", "Email me a new link"),
    ),
    MissingSecretKey: Answer(
        503, "Not ready", "This service is not configured yet. Please try again later."
    ),
    DatabaseError: Answer(
        503, "Not available", "Sorry, this service is unavailable. Please try again later."
    ),
    SubscriberError: Answer(
        500, "Something went wrong", "Sorry, something went wrong on our side. Please try later."
    ),
}

# Errors whose own message is safe and useful to show (they never carry secrets).
PUBLIC_DETAIL: tuple[type[Exception], ...] = (BadSignature, StaleTimestamp, MalformedPayload)

HTTP_ANSWERS: Mapping[int, tuple[str, str]] = {
    400: ("Bad request", "Sorry, we could not understand that request."),
    401: ("Sign in needed", "Please sign in to see this page."),
    403: ("Forbidden", "Sorry, you are not allowed to do that."),
    404: ("Page not found", "Sorry, there is no page at this address."),
    405: ("Method not allowed", "Sorry, this page cannot be used that way."),
    413: ("Too large", "Sorry, what you sent is too large for us to accept."),
    429: ("Too many requests", "Please wait a little and try again."),
}

SERVER_ERROR = Answer(
    500, "Something went wrong", "Sorry, something went wrong on our side. Please try later."
)

# Paths answered in JSON whatever the client accepts.
MACHINE_PATHS = ("/webhooks/", "/healthz")


def answer_for(exc: Exception) -> tuple[Answer, str | None]:
    """The answer for an error and the detail to show (``None`` unless it is public)."""
    if isinstance(exc, HTTPException):
        title, message = HTTP_ANSWERS.get(exc.status_code, ("Error", "Sorry, that did not work."))
        return Answer(exc.status_code, title, message), None
    for cls in type(exc).__mro__:
        answer = ERROR_ANSWERS.get(cls)
        if answer is not None:
            detail = str(exc) if isinstance(exc, PUBLIC_DETAIL) else None
            return answer, detail
    return SERVER_ERROR, None


def wants_json(request: Request) -> bool:
    if request.url.path.startswith(MACHINE_PATHS):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


class ErrorPages:
    """The app's exception handlers, built around its pages and header policy."""

    def __init__(self, pages: Pages, policy: HeaderPolicy) -> None:
        self.pages = pages
        self.policy = policy

    def handlers(self) -> dict[Any, Any]:
        return {
            HTTPException: self.handle,
            MailerError: self.handle,
            SubscriberError: self.handle,
            Exception: self.handle_crash,
        }

    async def handle(self, request: Request, exc: Exception) -> Response:
        answer, detail = answer_for(exc)
        if answer.status >= 500:
            log.error("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        extra = dict(getattr(exc, "headers", None) or {})
        return self.respond(request, answer, detail, extra)

    async def handle_crash(self, request: Request, exc: Exception) -> Response:
        """An unexpected exception: logged with its traceback, never shown.

        Starlette calls this from its outermost middleware, so the security headers are added
        here rather than by :class:`~mailer.web.security.SecurityHeaders`.
        """
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        headers = security_headers(self.policy, request.url.path)
        return self.respond(request, SERVER_ERROR, None, headers)

    def respond(
        self, request: Request, answer: Answer, detail: str | None, headers: Mapping[str, str]
    ) -> Response:
        headers = {**headers, "Cache-Control": "no-store"}
        if wants_json(request):
            body = {"error": answer.title, "detail": detail or answer.message}
            return JSONResponse(body, status_code=answer.status, headers=headers)
        context = {
            "status": answer.status,
            "title": answer.title,
            "message": answer.message,
            "detail": detail,
            "link": answer.link,
        }
        try:
            return self.pages.render(
                request, "error.html.j2", context, status_code=answer.status, headers=headers
            )
        except Exception:
            log.exception("the error page itself failed to render")
            name = self.pages.project.settings.organisation.name
            page = plain_error_page(answer.status, answer.title, answer.message, name)
            return HTMLResponse(page, status_code=answer.status, headers=headers)
