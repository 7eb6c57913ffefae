"""Benchmark: signed batches of 1,000 SendGrid events posted to the running web app.

Prints events/s for the pure step (verify + parse) and over HTTP (uvicorn in a child process,
httpx client here). The recorder is in memory until the ledger's recorder exists; the target is
at least 5,000 events/s end to end.

    .venv/bin/python bench/webhook.py [--batches 50] [--size 1000] [--clients 2]
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mailer.events import (
    PUBLIC_KEY_ENV,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    parse_events,
    verify_signature,
)

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("processed", "delivered", "open", "click", "deferred", "bounce", "spamreport")


def make_batch(batch: int, size: int) -> bytes:
    now = int(time.time())
    events = []
    for i in range(size):
        kind = KINDS[i % len(KINDS)]
        event: dict[str, object] = {
            "email": f"person{i}@example.com",
            "event": kind,
            "timestamp": now - 30,
            "sg_event_id": f"bench-{batch}-{i}",
            "sg_message_id": f"msg{batch}.{i}.filter",
            "smtp-id": f"<msg{batch}.{i}@example.net>",
            "delivery_id": str(batch * size + i),
            "campaign_id": "1",
            "issue_id": "bench-issue",
            "category": ["newsletter", "bench-issue"],
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


def run_server(port: int, public_key: str) -> None:
    import uvicorn

    from mailer.settings import load_project
    from mailer.web import create_app
    from mailer.web.webhook import MemoryRecorder

    app = create_app(
        load_project(ROOT), recorder=MemoryRecorder(), environ={PUBLIC_KEY_ENV: public_key}
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


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
    key: ec.EllipticCurvePrivateKey, payloads: list[bytes], clients: int
) -> tuple[float, float]:
    port = free_port()
    server = multiprocessing.get_context("spawn").Process(
        target=run_server, args=(port, public_text(key)), daemon=True
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    key = ec.generate_private_key(ec.SECP256R1())
    payloads = [make_batch(b, args.size) for b in range(args.batches)]
    size_kb = len(payloads[0]) / 1024
    print(f"batches: {args.batches} x {args.size} events ({size_kb:.0f} KiB each)")
    print(f"verify + parse (pure):       {bench_pure(key, payloads):>10,.0f} events/s")
    rate, median = bench_http(key, payloads, args.clients)
    print(
        f"HTTP, memory recorder:       {rate:>10,.0f} events/s "
        f"({args.clients} clients, median {median * 1000:.1f} ms per batch)"
    )


if __name__ == "__main__":
    main()
