"""Hardening every response gets: security headers and request body size limits.

Both are plain ASGI middleware, so they cost one function call per request. Headers are only
added where the endpoint did not set its own (a media SVG tightens the policy further).
Error pages built outside the middleware (the 500 page) call :func:`security_headers` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class HeaderPolicy:
    """The headers of every response; ``frameable`` paths may be framed by our own pages."""

    extra_style_origins: tuple[str, ...] = ()
    frameable: tuple[str, ...] = ("/preview/frame/", "/staff/preview/frame/")
    hsts: bool = False

    def csp(self, frame_ancestors: str) -> str:
        styles = " ".join(("'self'", *self.extra_style_origins))
        fonts = " ".join(("'self'", *self.extra_style_origins, "https:"))
        return "; ".join(
            (
                "default-src 'self'",
                "script-src 'self'",
                f"style-src {styles}",
                f"font-src {fonts}",
                "img-src 'self' https: data:",
                "object-src 'none'",
                "base-uri 'none'",
                "form-action 'self'",
                f"frame-ancestors {frame_ancestors}",
            )
        )

    def headers(self, path: str) -> list[tuple[bytes, bytes]]:
        framed = any(path.startswith(prefix) for prefix in self.frameable)
        ancestors, frame_option = ("'self'", b"SAMEORIGIN") if framed else ("'none'", b"DENY")
        headers = [
            (b"content-security-policy", self.csp(ancestors).encode()),
            (b"x-frame-options", frame_option),
            (b"referrer-policy", b"no-referrer"),
            (b"x-content-type-options", b"nosniff"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if self.hsts:
            headers.append((b"strict-transport-security", b"max-age=31536000"))
        return headers


def style_origin(stylesheet_url: str | None) -> tuple[str, ...]:
    """The origin of an optional web-font stylesheet, for the style and font policies."""
    if not stylesheet_url:
        return ()
    parts = urlsplit(stylesheet_url)
    return (f"{parts.scheme}://{parts.netloc}",) if parts.scheme == "https" else ()


def security_headers(policy: HeaderPolicy, path: str) -> dict[str, str]:
    """The headers for ``path`` as a dict, for responses built outside the middleware."""
    return {name.decode(): value.decode() for name, value in policy.headers(path)}


class SecurityHeaders:
    """Adds the policy's headers to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp, policy: HeaderPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.policy.headers(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in extra if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def refuse_body(scope: Scope, receive: Receive, send: Send) -> None:
    """An ASGI app that refuses every request as too large."""
    raise HTTPException(413, "request body too large")


class BodySizeLimit:
    """Refuses request bodies over the limit of their path with a 413.

    The first matching prefix in ``limits`` wins; other paths get ``default``. A declared
    ``Content-Length`` over the limit is answered by ``rejection`` at once, before routing or
    reading; a chunked body fails as soon as the bytes read pass the limit, with an
    ``HTTPException(413)`` raised inside the endpoint. ``rejection`` is built by the app around
    :func:`refuse_body` and its error handlers, so one place answers both.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: Sequence[tuple[str, int]] = (),
        default: int,
        rejection: ASGIApp = refuse_body,
    ) -> None:
        self.app = app
        self.limits = tuple(limits)
        self.default = default
        self.rejection = rejection

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self.rejection(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"request body over {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            # A malformed length is the server's problem (uvicorn rejects it); treat as huge.
            return int(text) if text.isdigit() else 1 << 62
    return None
