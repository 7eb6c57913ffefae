"""Signed tokens for unsubscribe, preferences and confirmation links.

A token is ASCII and URL-safe::

    <purpose><version>.<issued, hex seconds>.<public id>.<list id or empty>.<signature>

``u1.66a1b2c3.Xy3…Q.research-news.<22 chars>``: the payload is readable (it carries the
subscriber's opaque ``public_id``, never the address); the signature is the first 16 bytes of
HMAC-SHA256 over the payload with a sub-key of the secret key, base64url without padding. The
first key signs; every key verifies (rotation). ``unsubscribe`` tokens name the list and never
expire; ``confirm`` tokens expire after 7 days; ``preferences`` tokens do not expire.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from subscribers.errors import ExpiredToken, MissingSecretKey, TamperedToken, WrongPurpose
from subscribers.keys import derive_key, keys_from_env

Purpose = Literal["unsubscribe", "preferences", "confirm"]
PURPOSES: tuple[Purpose, ...] = ("unsubscribe", "preferences", "confirm")
_CODES: dict[str, Purpose] = {"u": "unsubscribe", "p": "preferences", "c": "confirm"}
_CODE_OF: dict[Purpose, str] = {purpose: code for code, purpose in _CODES.items()}
LIFETIMES: dict[Purpose, timedelta | None] = {
    "unsubscribe": None,
    "preferences": None,
    "confirm": timedelta(days=7),
}
VERSION = "1"
SIGNATURE_BYTES = 16
_SAFE_MATCH = re.compile(r"[A-Za-z0-9_-]+").fullmatch  # URL-safe base64 characters only
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a verified token says."""

    purpose: Purpose
    public_id: str
    list_id: str | None
    issued_at: datetime
    key_index: int  # 0: the current key; 1…: a previous key (re-issue links when convenient)


class TokenSigner:
    """Signs with the first key, verifies with all of them."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise MissingSecretKey("at least one secret key is needed")
        self._keys = tuple(derive_key(key, b"token") for key in keys)
        # keyed once; each signature copies the keyed state (a campaign signs millions)
        self._macs = tuple(hmac.new(key, digestmod=hashlib.sha256) for key in self._keys)

    def sign(
        self,
        purpose: Purpose,
        public_id: str,
        list_id: str | None = None,
        issued_at: datetime | None = None,
    ) -> str:
        if purpose not in _CODE_OF:
            raise ValueError(f"unknown token purpose {purpose!r}")
        if purpose == "unsubscribe" and not list_id:
            raise ValueError("an unsubscribe token names the list the email came from")
        if not _safe(public_id) or (list_id and not _safe(list_id)):
            raise ValueError("public_id and list_id must be URL-safe")
        when = int((issued_at or datetime.now(UTC)).timestamp())
        payload = f"{_CODE_OF[purpose]}{VERSION}.{when:x}.{public_id}.{list_id or ''}"
        return f"{payload}.{_signature(self._macs[0], payload)}"

    def signer_for(
        self, purpose: Purpose, list_id: str | None = None, issued_at: datetime | None = None
    ) -> Callable[[str], str]:
        """:meth:`sign` with all but the public id fixed, for signing a whole batch quickly.

        Gives exactly the tokens :meth:`sign` gives (checked once here). The HMAC is computed
        from pre-keyed SHA-256 states (RFC 2104: H(K^opad || H(K^ipad || m))), copying two
        hash objects per token, about half the cost of copying an ``hmac.HMAC``.
        """
        issued_at = issued_at or datetime.now(UTC)
        probe = "probe"
        expected = self.sign(purpose, probe, list_id, issued_at)  # the same checks, once
        when = int(issued_at.timestamp())
        head = f"{_CODE_OF[purpose]}{VERSION}.{when:x}."
        tail = f".{list_id or ''}"
        inner, outer = _pads(self._keys[0])
        b64 = binascii.b2a_base64
        safe = _SAFE_MATCH

        def sign_one(public_id: str) -> str:
            if safe(public_id) is None:
                raise ValueError("public_id and list_id must be URL-safe")
            payload = f"{head}{public_id}{tail}"
            h = inner.copy()
            h.update(payload.encode("ascii"))
            o = outer.copy()
            o.update(h.digest())
            signature = b64(o.digest()[:SIGNATURE_BYTES], newline=False)[:22]
            return f"{payload}.{signature.translate(_URL_SAFE).decode('ascii')}"

        if sign_one(probe) != expected:
            raise AssertionError("fast token signing disagrees with sign()")
        return sign_one

    def verify(self, token: str, purpose: Purpose, now: datetime | None = None) -> TokenClaims:
        """The claims of a genuine token for ``purpose``, or a specific InvalidToken."""
        payload, _, signature = token.rpartition(".")
        key_index = self._key_index(payload, signature)
        head, issued_hex, public_id, list_id = payload.split(".")
        actual = _CODES.get(head[:1])
        if actual is None or head[1:] != VERSION:
            raise TamperedToken("unknown token format")
        if actual != purpose:
            raise WrongPurpose(
                f"this link is for {actual}, not {purpose}", expected=purpose, actual=actual
            )
        issued_at = datetime.fromtimestamp(int(issued_hex, 16), UTC)
        lifetime = LIFETIMES[purpose]
        if lifetime is not None and (now or datetime.now(UTC)) - issued_at > lifetime:
            raise ExpiredToken(f"this {purpose} link has expired; ask for a new one")
        return TokenClaims(purpose, public_id, list_id or None, issued_at, key_index)

    def _key_index(self, payload: str, signature: str) -> int:
        if not payload or len(signature) != 22 or payload.count(".") != 3:
            raise TamperedToken("malformed token")
        for index, mac in enumerate(self._macs):
            if hmac.compare_digest(_signature(mac, payload), signature):
                return index
        raise TamperedToken("token signature does not match")


def _pads(key: bytes) -> tuple[Any, Any]:
    """SHA-256 states keyed with K^ipad and K^opad (``key`` is a 32-byte derived key)."""
    block = key.ljust(64, b"\0")
    return (
        hashlib.sha256(bytes(b ^ 0x36 for b in block)),
        hashlib.sha256(bytes(b ^ 0x5C for b in block)),
    )


def _signature(keyed: hmac.HMAC, payload: str) -> str:
    mac = keyed.copy()
    mac.update(payload.encode("ascii", "replace"))
    digest = mac.digest()
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES]).rstrip(b"=").decode("ascii")


def _safe(value: str) -> bool:
    return _SAFE_MATCH(value) is not None


def signer_from_env(
    environ: Mapping[str, str] | None = None, *, allow_dev: bool = False
) -> TokenSigner:
    """A signer keyed by NEWSLETTER_SECRET_KEY (+ _PREVIOUS); MissingSecretKey without one."""
    return TokenSigner(keys_from_env(environ, allow_dev=allow_dev))
