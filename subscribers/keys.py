"""Secret keys from the environment, and the keyed hash of an erased address.

``NEWSLETTER_SECRET_KEY`` signs; ``NEWSLETTER_SECRET_KEY_PREVIOUS`` (comma-separated) lists
keys that are still accepted, so rotating the key does not break links already in inboxes.
Each use derives its own sub-key (tokens and address hashes never share a key).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence

from subscribers.errors import MissingSecretKey

SECRET_KEY_VAR = "NEWSLETTER_SECRET_KEY"
PREVIOUS_KEYS_VAR = "NEWSLETTER_SECRET_KEY_PREVIOUS"
#: Used only when a caller explicitly asks for it (``--dev-key``); never in production.
DEV_ONLY_KEY = b"dev-only-insecure-newsletter-key-do-not-use-in-production"
MIN_KEY_LENGTH = 16


def keys_from_env(
    environ: Mapping[str, str] | None = None, *, allow_dev: bool = False
) -> tuple[bytes, ...]:
    """The current key then the previous ones; raises MissingSecretKey when none is set."""
    env = os.environ if environ is None else environ
    current = env.get(SECRET_KEY_VAR, "").strip()
    if not current:
        if allow_dev:
            return (DEV_ONLY_KEY,)
        raise MissingSecretKey(
            f"{SECRET_KEY_VAR} is not set; set it to a long random value "
            '(python -c "import secrets; print(secrets.token_urlsafe(32))"), '
            "or pass --dev-key on a development machine"
        )
    previous = [k.strip() for k in env.get(PREVIOUS_KEYS_VAR, "").split(",") if k.strip()]
    keys = [current, *previous]
    for key in keys:
        if len(key) < MIN_KEY_LENGTH:
            raise MissingSecretKey(
                f"{SECRET_KEY_VAR} (or a previous key) is shorter than {MIN_KEY_LENGTH} "
                "characters; use a long random value"
            )
    return tuple(key.encode("utf-8") for key in keys)


def derive_key(key: bytes, purpose: bytes) -> bytes:
    """A sub-key for one use of ``key``."""
    return hmac.new(key, b"newsletter/" + purpose, hashlib.sha256).digest()


class AddressHasher:
    """HMAC-SHA256 of a normalised address, kept after erasure so it is never re-imported.

    A plain hash of an address is reversible with a dictionary of addresses; a keyed hash is
    not without the key. ``hashes`` gives one value per key so rotation keeps matching.
    """

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise MissingSecretKey("at least one secret key is needed")
        self._keys = tuple(derive_key(key, b"address-hash") for key in keys)

    def hash(self, email_key: str) -> str:
        """The hash stored for a new erasure (current key)."""
        return self._digest(self._keys[0], email_key)

    def hashes(self, email_key: str) -> tuple[str, ...]:
        """Every hash an earlier erasure of this address may have been stored under."""
        return tuple(self._digest(key, email_key) for key in self._keys)

    @staticmethod
    def _digest(key: bytes, email_key: str) -> str:
        return hmac.new(key, email_key.encode("utf-8"), hashlib.sha256).hexdigest()


def hasher_from_env(
    environ: Mapping[str, str] | None = None, *, allow_dev: bool = False
) -> AddressHasher:
    return AddressHasher(keys_from_env(environ, allow_dev=allow_dev))
