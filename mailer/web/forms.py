"""Reading a request the supporter pages share: the client's address, the audit name, form fields.

A leaf: the route modules import it; it imports nothing of the project.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request


def client_ip(request: Request) -> str:
    """The client's address as uvicorn reports it (proxy headers only from trusted proxies)."""
    return request.client.host if request.client else "unknown"


def who(action: str, request: Request) -> str:
    """How the audit log names a web request: ``web:<action> ip=<client address>``."""
    return f"web:{action} ip={client_ip(request)}"[:200]


def text_field(form: FormData, name: str, limit: int = 320) -> str:
    """A text field, stripped and cut to ``limit`` characters; ``""`` when absent or a file."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def choices(form: FormData, name: str) -> list[str]:
    """Every text value of a repeated field (checkboxes), in the order sent."""
    return [value for value in form.getlist(name) if isinstance(value, str)]
