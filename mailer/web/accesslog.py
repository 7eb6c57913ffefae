"""The access log never records a link token: ``/u/…``, ``/p/…`` and ``/confirm/…`` are redacted.

A token in a log line is as good as the link itself (anyone who reads the log could unsubscribe
the person or open their preferences), so :class:`RedactTokens` rewrites the path of each
uvicorn access record before any handler formats it. :func:`access_log_config` is uvicorn's own
logging configuration with that filter on the access handler; ``newsletter serve`` uses it.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

#: The path segment after one of these prefixes is a signed token.
TOKEN_PATH = re.compile(r"^(/(?:u|p|confirm)/)[^/?#]+")
REDACTED = "[redacted]"


def redact_path(path: str) -> str:
    """``path`` with its token segment (if any) replaced by ``[redacted]``."""
    return TOKEN_PATH.sub(lambda match: match.group(1) + REDACTED, path, count=1)


class RedactTokens(logging.Filter):
    """Redact the token in the path argument of uvicorn's access records (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


def access_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration, with :class:`RedactTokens` on the access log."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.RedactTokens"}
    config["handlers"]["access"].setdefault("filters", []).append("redact_tokens")
    return config
