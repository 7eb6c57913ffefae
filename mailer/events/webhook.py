"""SendGrid's signed Event Webhook: verify a request, then parse it into frozen events.

Both steps are pure functions of their arguments (the clock is passed in); recording the
events in the database is a separate step that takes the ``Event`` values this module returns.

SendGrid signs ``timestamp + raw body`` with ECDSA over P-256 and SHA-256. The public key
(shown in the SendGrid console, kept in ``SENDGRID_WEBHOOK_PUBLIC_KEY``) is a base64 DER
SubjectPublicKeyInfo; the signature header is a base64 DER ECDSA signature. The body is a JSON
list of event objects; custom args set at send time appear as top-level keys of each event.

What each event means for the project is decided here, as data (``Event.effect`` and
``Event.settles``), so the recorder only applies it:

=========================================  ===============  ============
event                                      effect           settles
=========================================  ===============  ============
``bounce`` of type ``bounce`` (hard)       BOUNCED          –
``bounce`` of type ``blocked``/``expired``  COUNT            –
``dropped``, reason "Bounced Address"      BOUNCED          DROPPED
``dropped``, any other reason              COUNT            DROPPED
``processed``                              COUNT            ACCEPTED
``spamreport``                             COMPLAINED       –
``unsubscribe``, ``group_unsubscribe``     UNSUBSCRIBED     –
``delivered``, ``open``, ``click``,        COUNT            –
``deferred``, ``group_resubscribe``
anything else                              IGNORED          –
=========================================  ===============  ============

``settles`` is set only when the event carries a delivery id: it tells the ledger how to settle
a delivery whose fate it holds as ``unknown`` (SendGrid saw the message, so it was accepted).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from mailer.config import WEBHOOK_PUBLIC_KEY
from mailer.errors import BadSignature, MalformedPayload, StaleTimestamp, WebhookConfigError

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
PUBLIC_KEY_ENV = WEBHOOK_PUBLIC_KEY
DEFAULT_WINDOW = timedelta(minutes=10)

# Custom args the sender attaches to every message (SendGrid echoes them as top-level keys).
DELIVERY_ID_ARG = "delivery_id"
CAMPAIGN_ID_ARG = "campaign_id"
ISSUE_ID_ARG = "issue_id"
LIST_ID_ARG = "list_id"

_ECDSA = ec.ECDSA(hashes.SHA256())


class EventKind(StrEnum):
    PROCESSED = "processed"
    DROPPED = "dropped"
    DELIVERED = "delivered"
    DEFERRED = "deferred"
    BOUNCE = "bounce"
    OPEN = "open"
    CLICK = "click"
    SPAMREPORT = "spamreport"
    UNSUBSCRIBE = "unsubscribe"
    GROUP_UNSUBSCRIBE = "group_unsubscribe"
    GROUP_RESUBSCRIBE = "group_resubscribe"
    OTHER = "other"


class Effect(StrEnum):
    """What an event does to the subscriber (and the campaign's counts)."""

    BOUNCED = "bounced"  # mark bounced and suppress
    COMPLAINED = "complained"  # mark complained and suppress
    UNSUBSCRIBED = "unsubscribed"  # leave the list the email came from
    COUNT = "count"  # per-campaign counts only
    IGNORED = "ignored"  # unknown type: kept, not applied


class Settlement(StrEnum):
    """How a delivery the ledger holds as ``unknown`` is settled by this event."""

    ACCEPTED = "accepted"  # SendGrid processed it
    DROPPED = "dropped"  # SendGrid accepted the request but dropped the message


@dataclass(frozen=True, slots=True)
class Event:
    """One SendGrid event, classified."""

    sg_event_id: str
    kind: EventKind
    event_type: str  # as SendGrid sent it (differs from ``kind`` only for OTHER)
    email: str
    timestamp: datetime
    effect: Effect
    settles: Settlement | None = None
    sg_message_id: str | None = None
    delivery_id: str | None = None
    campaign_id: str | None = None
    issue_id: str | None = None
    list_id: str | None = None
    bounce_type: str | None = None
    bounce_classification: str | None = None  # SendGrid's class, e.g. "Invalid Address"
    machine_open: bool | None = None  # ``sg_machine_open``: a proxy fetched the images
    url: str | None = None
    reason: str | None = None
    asm_group_id: int | None = None

    @property
    def suppresses(self) -> bool:
        """A hard bounce or a spam complaint: it suppresses the address, and counts towards
        the auto-pause rates of its campaign."""
        return self.effect in (Effect.BOUNCED, Effect.COMPLAINED)


@functools.lru_cache(maxsize=8)
def load_public_key(public_key: str) -> ec.EllipticCurvePublicKey:
    """The P-256 key from SendGrid's base64 DER text; ``WebhookConfigError`` when unusable."""
    text = "".join(public_key.split())
    if not text:
        raise WebhookConfigError(f"{PUBLIC_KEY_ENV} is empty")
    try:
        key = load_der_public_key(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise WebhookConfigError(f"{PUBLIC_KEY_ENV} is not a base64 DER public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise WebhookConfigError(f"{PUBLIC_KEY_ENV} is not an ECDSA P-256 public key")
    return key


def verify_signature(
    public_key: str | ec.EllipticCurvePublicKey,
    payload: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
) -> None:
    """Return if ``signature`` signs ``timestamp + payload`` and the timestamp is fresh.

    Raises ``BadSignature`` (missing or wrong signature, missing or non-numeric timestamp),
    ``StaleTimestamp`` (more than ``window`` before or after ``now``) or ``WebhookConfigError``
    (unusable public key). The timestamp is checked first: a replay costs no ECDSA work.
    """
    key = load_public_key(public_key) if isinstance(public_key, str) else public_key
    if not timestamp:
        raise BadSignature("missing timestamp header")
    if not signature:
        raise BadSignature("missing signature header")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise BadSignature("timestamp header is not a Unix time")
    signed_at = datetime.fromtimestamp(int(timestamp), UTC)
    if abs(now - signed_at) > window:
        raise StaleTimestamp(f"timestamp {signed_at.isoformat()} is outside the replay window")
    try:
        der = base64.b64decode(signature.strip(), validate=True)
    except binascii.Error:
        raise BadSignature("signature header is not base64") from None
    try:
        key.verify(der, timestamp.encode("ascii") + payload, _ECDSA)
    except (InvalidSignature, ValueError):
        raise BadSignature("signature does not match the body") from None


def parse_events(payload: bytes) -> tuple[Event, ...]:
    """The events of a webhook body: a JSON list of objects; ``MalformedPayload`` otherwise."""
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedPayload(f"body is not JSON: {exc}") from None
    except RecursionError:
        raise MalformedPayload("body is nested too deeply") from None
    if not isinstance(data, list):
        raise MalformedPayload(f"body is a JSON {type(data).__name__}, expected a list of events")
    return tuple(_parse_event(index, item) for index, item in enumerate(data))


def _parse_event(index: int, item: object) -> Event:
    if not isinstance(item, dict):
        raise MalformedPayload(f"event {index} is not an object")
    event_type = item.get("event")
    email = item.get("email")
    stamp = item.get("timestamp")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedPayload(f"event {index} has no 'event' type")
    if not isinstance(email, str):
        raise MalformedPayload(f"event {index} has no 'email'")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        raise MalformedPayload(f"event {index} has no numeric 'timestamp'")
    try:
        when = datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedPayload(f"event {index} has an impossible timestamp") from None
    try:
        kind = EventKind(event_type)
    except ValueError:
        kind = EventKind.OTHER
    bounce_type = _text(item, "type")
    reason = _text(item, "reason") or _text(item, "response")
    delivery_id = _text(item, DELIVERY_ID_ARG)
    asm = item.get("asm_group_id")
    machine = item.get("sg_machine_open")
    return Event(
        sg_event_id=_text(item, "sg_event_id") or _derived_id(item),
        kind=kind,
        event_type=event_type,
        email=email,
        timestamp=when,
        effect=classify(kind, bounce_type, reason),
        settles=_settlement(kind) if delivery_id else None,
        sg_message_id=_text(item, "sg_message_id"),
        delivery_id=delivery_id,
        campaign_id=_text(item, CAMPAIGN_ID_ARG),
        issue_id=_text(item, ISSUE_ID_ARG),
        list_id=_text(item, LIST_ID_ARG),
        bounce_type=bounce_type,
        bounce_classification=_text(item, "bounce_classification"),
        machine_open=machine if isinstance(machine, bool) and kind is EventKind.OPEN else None,
        url=_text(item, "url") if kind is EventKind.CLICK else None,
        reason=reason,
        asm_group_id=asm if isinstance(asm, int) and not isinstance(asm, bool) else None,
    )


def classify(kind: EventKind, bounce_type: str | None, reason: str | None) -> Effect:
    """The effect of one event (see the table in the module docstring)."""
    if kind is EventKind.BOUNCE:
        # SendGrid's types: "bounce" (hard), "blocked" (reputation), "expired" (gave up).
        return Effect.BOUNCED if bounce_type in (None, "bounce") else Effect.COUNT
    if kind is EventKind.DROPPED:
        bounced = reason is not None and "bounced address" in reason.lower()
        return Effect.BOUNCED if bounced else Effect.COUNT
    if kind is EventKind.SPAMREPORT:
        return Effect.COMPLAINED
    if kind in (EventKind.UNSUBSCRIBE, EventKind.GROUP_UNSUBSCRIBE):
        return Effect.UNSUBSCRIBED
    if kind is EventKind.OTHER:
        return Effect.IGNORED
    return Effect.COUNT


def _settlement(kind: EventKind) -> Settlement | None:
    if kind is EventKind.PROCESSED:
        return Settlement.ACCEPTED
    if kind is EventKind.DROPPED:
        return Settlement.DROPPED
    return None


def _text(item: Mapping[str, object], key: str) -> str | None:
    """A string field, or a number given where a string was expected (custom args)."""
    value = item.get(key)
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _derived_id(item: Mapping[str, object]) -> str:
    """A stable id for an event without ``sg_event_id``, so a retried batch stays idempotent."""
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
