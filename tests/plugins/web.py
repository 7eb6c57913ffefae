"""Fixtures for the event webhook and the web app: signing keys, signed requests, apps."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mailer.events import SIGNATURE_HEADER, TIMESTAMP_HEADER

REPO = Path(__file__).resolve().parents[2]
WEBHOOK_DATA = REPO / "tests" / "data" / "webhook"
FIXED_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Signer:
    """A P-256 key pair that signs bodies the way SendGrid does."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    @property
    def public_key(self) -> str:
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode("ascii")

    def sign(self, payload: bytes, timestamp: str) -> str:
        der = self.private_key.sign(timestamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(der).decode("ascii")

    def headers(self, payload: bytes, when: datetime = FIXED_NOW) -> dict[str, str]:
        timestamp = str(int(when.timestamp()))
        return {
            SIGNATURE_HEADER: self.sign(payload, timestamp),
            TIMESTAMP_HEADER: timestamp,
            "Content-Type": "application/json",
        }


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer()


@pytest.fixture(scope="session")
def official_vectors() -> dict[str, object]:
    data: dict[str, object] = json.loads((WEBHOOK_DATA / "official_vectors.json").read_text())
    return data


def make_event(event: str = "delivered", index: int = 0, **extra: object) -> dict[str, object]:
    """One SendGrid-shaped event with custom args, as the sender attaches them."""
    body: dict[str, object] = {
        "email": f"person{index}@example.com",
        "event": event,
        "timestamp": int(FIXED_NOW.timestamp()) - 60,
        "sg_event_id": f"evt-{event}-{index}",
        "sg_message_id": f"msg-{index}.filter0001",
        "delivery_id": str(1000 + index),
        "campaign_id": "7",
        "issue_id": "2026-03-research-news",
    }
    body.update(extra)
    return body


def make_payload(events: list[dict[str, object]]) -> bytes:
    """A body as SendGrid sends it: compact JSON and a trailing CRLF."""
    return json.dumps(events, separators=(",", ":")).encode() + b"\r\n"


@pytest.fixture
def fixed_now() -> Iterator[datetime]:
    yield FIXED_NOW
