"""Benchmark: signed batches of 1,000 SendGrid events posted to the running web app.

Prints events/s for the pure step (verify + parse) and over HTTP (uvicorn in a child process,
httpx client here) with the in-memory recorder and with the database recorder
(:class:`mailer.events.store.DatabaseRecorder`) on a fresh SQLite file and a private PostgreSQL
database (created on ``--postgres``, default TEST_DATABASE_URL, dropped afterwards). The
database holds a campaign of ``--size`` accepted deliveries that the events name, so bounces,
complaints and unsubscribes really change subscribers. Target: at least 5,000 events/s.

    .venv/bin/python bench/webhook.py [--batches 50] [--size 1000] [--clients 2]
        [--backend memory|sqlite|postgresql|all]
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mailer.events.webhook import (
    PUBLIC_KEY_ENV,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    parse_events,
    verify_signature,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the project's packages, not bench/subscribers.py

from bench.pg import postgres_database  # noqa: E402

KINDS = ("processed", "delivered", "open", "click", "deferred", "bounce", "spamreport")
LIST_ID = "research-news"
ISSUE_ID = "bench-issue"


def make_batch(batch: int, size: int, campaign_id: int = 1) -> bytes:
    now = int(time.time())
    events = []
    for i in range(size):
        kind = KINDS[i % len(KINDS)]
        event: dict[str, object] = {
            "email": f"person{i}@example.org",
            "event": kind,
            "timestamp": now - 30,
            "sg_event_id": f"bench-{batch}-{i}",
            "sg_message_id": f"msg{batch}.{i}.filter",
            "smtp-id": f"<msg{batch}.{i}@example.net>",
            "delivery_id": f"c{campaign_id}-d{i + 1}",
            "campaign_id": str(campaign_id),
            "issue_id": ISSUE_ID,
            "list_id": LIST_ID,
            "category": ["newsletter", ISSUE_ID],
        }
        if kind == "click":
            event["url"] = "https://www.example.org/research?utm_source=newsletter"
        if kind == "bounce":
            event.update(type="bounce", reason="550 5.1.1 no such user", status="5.1.1")
        events.append(event)
    return json.dumps(events, separators=(",", ":")).encode() + b"\r\n"


def sign(key: ec.EllipticCurvePrivateKey, payload: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    der = key.sign(stamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
    return {
        SIGNATURE_HEADER: base64.b64encode(der).decode(),
        TIMESTAMP_HEADER: stamp,
        "Content-Type": "application/json",
    }


def public_text(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def run_server(port: int, public_key: str, db_url: str | None) -> None:
    import uvicorn

    from mailer.events.store import DatabaseRecorder
    from mailer.settings import load_project
    from mailer.web import create_app
    from mailer.web.webhook import EventRecorder, MemoryRecorder
    from subscribers.db import get_engine

    recorder: EventRecorder = (
        MemoryRecorder() if db_url is None else DatabaseRecorder(get_engine(db_url))
    )
    app = create_app(load_project(ROOT), recorder=recorder, environ={PUBLIC_KEY_ENV: public_key})
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def seed_campaign(db_url: str, people: int) -> int:
    """A campaign whose ``people`` deliveries (rows 1..people) are accepted; its id."""
    from sqlalchemy import insert, select

    from mailer.render.email import Email
    from mailer.send.campaigns import snapshot_audience, start_campaign
    from mailer.send.deliveries import claim_batch, settle_batch
    from subscribers.db import get_engine, write_transaction
    from subscribers.models import subscribers, subscriptions

    now = datetime.now(UTC)
    engine = get_engine(db_url)
    try:
        rows = [
            {
                "public_id": f"bench{i:07d}",
                "email": f"person{i}@example.org",
                "email_key": f"person{i}@example.org",
                "status": "active",
                "attributes": {},
                "created_at": now,
                "updated_at": now,
            }
            for i in range(people)
        ]
        with write_transaction(engine) as connection:
            connection.execute(insert(subscribers), rows)
            ids = connection.execute(select(subscribers.c.id).order_by(subscribers.c.id)).scalars()
            connection.execute(
                insert(subscriptions),
                [
                    {
                        "subscriber_id": i,
                        "list_id": LIST_ID,
                        "status": "active",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in ids
                ],
            )
        email = Email(
            issue_id=ISSUE_ID,
            subject="Bench",
            preheader="",
            html="<p>hi</p>",
            text="hi",
            mjml="<mjml></mjml>",
            from_email="news@example.org",
            from_name="Bench",
            reply_to=None,
            list_id=LIST_ID,
            interests=(),
            send_at=None,
            embargo_until=None,
            view_url="https://example.org/archive/bench-issue",
        )
        campaign = start_campaign(engine, email, transport="sendgrid", now=now)
        snapshot_audience(engine, campaign, now=now)
        batch = claim_batch(
            engine,
            campaign.id,
            worker_id="bench:1:x",
            size=people,
            lease=timedelta(minutes=5),
            now=now,
        )
        assert batch is not None
        settle_batch(engine, batch.id, "accepted", now=now)
        return campaign.id
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def bench_pure(key: ec.EllipticCurvePrivateKey, payloads: list[bytes]) -> float:
    public = public_text(key)
    signed = [(payload, sign(key, payload)) for payload in payloads]
    start = time.perf_counter()
    events = 0
    for payload, headers in signed:
        verify_signature(
            public,
            payload,
            headers[SIGNATURE_HEADER],
            headers[TIMESTAMP_HEADER],
            now=datetime.now(UTC),
        )
        events += len(parse_events(payload))
    return events / (time.perf_counter() - start)


def bench_http(
    key: ec.EllipticCurvePrivateKey,
    payloads: list[bytes],
    clients: int,
    db_url: str | None = None,
) -> tuple[float, float]:
    port = free_port()
    server = multiprocessing.get_context("spawn").Process(
        target=run_server, args=(port, public_text(key), db_url), daemon=True
    )
    server.start()
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, trust_env=False, timeout=30) as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            http.post("/webhooks/sendgrid", content=payloads[0], headers=sign(key, payloads[0]))

            latencies: list[float] = []

            def post(payload: bytes) -> int:
                started = time.perf_counter()
                response = http.post(
                    "/webhooks/sendgrid", content=payload, headers=sign(key, payload)
                )
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
                received: int = response.json()["received"]
                return received

            start = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                total = sum(pool.map(post, payloads))
            elapsed = time.perf_counter() - start
        latencies.sort()
        return total / elapsed, latencies[len(latencies) // 2]
    finally:
        server.terminate()
        server.join(10)


def report_http(
    label: str,
    key: ec.EllipticCurvePrivateKey,
    args: argparse.Namespace,
    db_url: str | None = None,
) -> None:
    campaign_id = seed_campaign(db_url, args.size) if db_url else 1
    payloads = [make_batch(b, args.size, campaign_id) for b in range(args.batches)]
    rate, median = bench_http(key, payloads, args.clients, db_url)
    print(
        f"HTTP, {label + ':':<22}{rate:>10,.0f} events/s "
        f"({args.clients} clients, median {median * 1000:.1f} ms per batch)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument(
        "--backend", choices=("memory", "sqlite", "postgresql", "all"), default="all"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="PostgreSQL server URL; a private database is created on it and dropped",
    )
    args = parser.parse_args()
    key = ec.generate_private_key(ec.SECP256R1())
    payloads = [make_batch(b, args.size) for b in range(args.batches)]
    size_kb = len(payloads[0]) / 1024
    print(f"batches: {args.batches} x {args.size} events ({size_kb:.0f} KiB each)")
    print(f"verify + parse (pure):       {bench_pure(key, payloads):>10,.0f} events/s")
    if args.backend in ("memory", "all"):
        report_http("memory recorder", key, args)
    if args.backend in ("sqlite", "all"):
        with tempfile.TemporaryDirectory() as tmp:
            report_http("SQLite recorder", key, args, f"sqlite:///{tmp}/bench.db")
    if args.backend in ("postgresql", "all"):
        with postgres_database(args.postgres, "bench_webhook") as url:
            report_http("PostgreSQL recorder", key, args, url)


if __name__ == "__main__":
    main()
