"""Benchmark ``newsletter send`` as a whole process against the fake SendGrid server on 127.0.0.1.

    .venv/bin/python bench/send.py [--sizes 100000,1000000] [--backend sqlite|postgresql|both]
        [--naive 3000] [--repeat N] [--send-args '--concurrency 4'] [--validate-every 50]
        [--latency-ms 0,50] [--pg-url URL]

For each backend and size: a fresh database gets ``size`` active subscribers in bulk (SQL
``INSERT … SELECT``), then ``newsletter send ISSUE --yes --json`` runs as its own process
(imports, check, render, snapshot, sending and the report all inside the clock) through the
real SendGrid transport to the fake server, which runs in its own process and validates one
request in ``--validate-every`` against the schema. Printed: recipients/s of the whole
process, the ``send_campaign`` seconds it reported, requests, CPU seconds and peak RSS of the
process (``getrusage(RUSAGE_CHILDREN)`` in a wrapper process). The naive path, in the same
run, sends ``--naive`` recipients one request each, built with the library's ``Mail`` helper.
``--latency-ms`` repeats everything against a server that waits that long before each answer
(SendGrid answers in tens of ms; 0 flatters the naive path). Prints figures; asserts nothing.

Targets (issue 8): >= 50,000 recipients/s whole process on SQLite, no worse than before on
PostgreSQL, 1M recipients under 200 MB peak RSS.

Measured on the shared 2-core machine (load average 2-6 from other work: figures vary by a
factor of up to 2 between minutes; compare runs made back to back), concurrency 4, 100,000
recipients, latency 0, run alternately with the code before issue 8's send changes:

- SQLite whole process: before 21,600-27,900/s (send_campaign 2.3-3.4 s of 3.6-4.6 s);
  after the library refactor 17,100-19,800/s (send_campaign 3.5-4.2 s of 5.0-5.8 s).
- PostgreSQL whole process: before 12,400-13,900/s.
- Naive path: 265-690/s.
- Peak RSS at 100k: 100 MB before, 108-113 MB after.

Then the ``sendperf`` changes (``--workers N`` processes sharing the ledger, each email's
request frame encoded once, the Alembic head written down, no ``rich`` with ``--json``, no
audience count with ``--yes``), in two rounds of three runs alternating with the merged code
before them (the first round against the fake server parsing with ``json``, the second with
orjson, which leaves more of the two cores to the client), load average 4-10 from other work:

- SQLite whole process, defaults: before 16,300-26,600/s and 6,900-17,600/s; after
  23,100-26,400/s and 15,700-24,700/s (CPU 3.0-3.9 s against 3.3-5.3 s; peak RSS 93-97 MB
  against 109-114 MB). ``--workers 2 --concurrency 2``: 10,500-20,700/s and 5,700-29,500/s
  (CPU unchanged, so the slow runs waited for cores other work held; 23,000-33,000/s in
  quieter minutes), and 40,500/s at 300,000 recipients, where start-up weighs less
  (``send_campaign`` alone about 50,000/s).
- Where the time goes (SQLite, 100k, ``--workers 2``): imports 0.63 s, check + render
  0.08 s, campaign 0.04 s, snapshot 0.28 s, then ``send_campaign`` 2.0-2.4 s: about 1.1 s of
  the whole process passes before the first batch can go. Per 1,000-recipient batch: claim
  6.4 ms of SQLite (3.3 ms of it the UPDATE), settle 2.4 ms, signing 2,000 links 5.3 ms,
  building the personalizations 1.4 ms; SQLite serialises the writes, which caps a campaign
  at about 100,000/s whatever the number of processes. 50,000/s whole process at 100,000
  recipients would need the sending itself at over 100,000/s: not reached on this machine.
- PostgreSQL whole process: before 6,700-13,600/s, after 12,700-14,900/s, ``--workers 2``
  12,400-14,800/s (the PostgreSQL server shares the cores; its snapshot takes 1.6 s of 100k,
  half of it the two foreign-key triggers on ``deliveries``).
- 1,000,000 recipients, SQLite: defaults 25,800/s whole process, peak RSS 97 MB;
  ``--workers 2 --concurrency 2`` peak RSS 86 MB (the largest process).

The public ``client.mail.send.post`` path costs about 1 ms more per 1,000-recipient request
than the private ``_make_request`` did once the body is handed over pre-encoded (about 2.5 ms
more with a plain ``str`` body, 1.8 ms of it the library formatting the payload for a DEBUG
message it drops, which :class:`mailer.transports.sendgrid.EncodedBody` avoids).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from subscribers.db import get_engine, normalise_url, upgrade  # noqa: E402

API_KEY = "SG.bench-only-not-a-key"
SECRET = b"bench-secret-key-0123456789abcdef"
ISSUE = ROOT / "newsletters" / "2026-12-secondary-research.yaml"
LIST_ID = "research-news"
NEWSLETTER = str(Path(sys.executable).parent / "newsletter")


# --- set-up ------------------------------------------------------------------------------


def fill_subscribers(url: str, count: int) -> float:
    """``count`` active subscribers of the research-news list, inserted with set-based SQL."""
    engine = get_engine(url)
    start = time.perf_counter()
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                series = (
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < :count) SELECT i FROM n"
                )
                now = "'2026-01-01 12:00:00.000000'"
            else:
                series = "SELECT generate_series(1, :count) AS i"
                now = "now()"
            conn.execute(
                text(
                    "INSERT INTO subscribers (public_id, email, email_key, first_name, status, "
                    "attributes, created_at, updated_at) "
                    "SELECT 'pub' || i, 'person' || i || '@example.org', "
                    "'person' || i || '@example.org', 'Name' || i, 'active', '{}', "
                    f"{now}, {now} FROM ({series}) AS s"
                ),
                {"count": count},
            )
            conn.execute(
                text(
                    "INSERT INTO subscriptions (subscriber_id, list_id, status, created_at, "
                    f"updated_at) SELECT id, '{LIST_ID}', 'active', {now}, {now} FROM subscribers"
                )
            )
            if engine.dialect.name != "sqlite":
                conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return time.perf_counter() - start


@contextlib.contextmanager
def fake_server(validate_every: int, latency_ms: float = 0.0) -> Iterator[str]:
    """The fake SendGrid server in its own process; yields its URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakesendgrid",
            "--port",
            "0",
            "--api-key",
            API_KEY,
            "--validate-every",
            str(validate_every),
            "--latency-ms",
            str(latency_ms),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.communicate(timeout=30)


@contextlib.contextmanager
def database(backend: str, workdir: Path, pg_url: str, name: str) -> Iterator[str]:
    if backend == "sqlite":
        path = workdir / f"{name}.db"
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    base = make_url(normalise_url(pg_url))
    db = f"bench_send_{os.getpid()}_{name}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    url = base.set(database=db).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


# --- the child: one whole-process ``newsletter send`` ---------------------------------------


def sample_email() -> Any:
    from mailer.send.plans import prepare_email
    from mailer.settings import load_project

    return prepare_email(load_project(ROOT), ISSUE, now=datetime.now(UTC))


def child_cli(url: str, server: str, extra: list[str]) -> None:
    """Run ``newsletter send ISSUE --yes --json`` as its own process; print its figures.

    The clock runs from just before the process starts to just after it exits (imports,
    check, render, snapshot, sending and the report included). Peak RSS is the largest of
    the processes it waited for (the CLI and any worker processes it started).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "SENDGRID_"))}
    env.update(
        NEWSLETTER_DATABASE_URL=url,
        NEWSLETTER_TRANSPORT="sendgrid",
        NEWSLETTER_SECRET_KEY=SECRET.decode(),
        SENDGRID_API_KEY=API_KEY,
        SENDGRID_API_HOST=server,
        SENDGRID_TIMEOUT="120",
    )
    command = [NEWSLETTER, "--project", str(ROOT), "send", str(ISSUE), "--yes", "--json", *extra]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"newsletter send exited {done.returncode}")
    report = json.loads(done.stdout)["campaigns"][0]
    print(
        json.dumps(
            {
                "recipients": report["counts"]["accepted"],
                "status": report["status"],
                "requests": report["requests"],
                "seconds": seconds,
                "send_seconds": report["seconds"],
                "peak_rss_mb": usage.ru_maxrss / 1024,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
            }
        )
    )


def child_naive(server: str, count: int) -> None:
    """One request per recipient, built with the library's ``Mail`` helper (no ledger)."""
    from sendgrid import SendGridAPIClient
    from sendgrid.helpers.mail import (
        Header,
        Mail,
        Personalization,
        Substitution,
        To,
    )

    from mailer.render.email import substitutions
    from mailer.transports.sendgrid import quiet_library_loggers
    from subscribers.tokens import TokenSigner

    quiet_library_loggers()
    email = sample_email()
    signer = TokenSigner([SECRET])
    client = SendGridAPIClient(API_KEY, host=server)
    start = time.perf_counter()
    for i in range(count):
        now = datetime.now(UTC)
        unsubscribe = (
            f"https://news.example.org/u/{signer.sign('unsubscribe', f'pub{i}', LIST_ID, now)}"
        )
        preferences = (
            f"https://news.example.org/p/{signer.sign('preferences', f'pub{i}', None, now)}"
        )
        message = Mail(
            from_email=(email.from_email, email.from_name),
            subject=email.subject,
            plain_text_content=email.text,
            html_content=email.html,
        )
        personalization = Personalization()
        personalization.add_to(To(f"person{i}@example.org", f"Name{i}"))
        for tag, value in substitutions(f"Name{i}", unsubscribe, preferences).items():
            personalization.add_substitution(Substitution(tag, value))
        personalization.add_header(Header("List-Unsubscribe", f"<{unsubscribe}>"))
        personalization.add_header(Header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
        message.add_personalization(personalization)
        client.send(message)
    seconds = time.perf_counter() - start
    print(json.dumps({"recipients": count, "requests": count, "seconds": seconds}))


# --- the parent ----------------------------------------------------------------------------


def run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args],
        check=True,
        capture_output=False,
        text=True,
        stdout=subprocess.PIPE,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_cli":
        child_cli(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_naive":
        child_naive(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--naive", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each backend × size")
    parser.add_argument(
        "--send-args",
        default="",
        help="extra options for `newsletter send`, e.g. '--workers 2 --concurrency 4'",
    )
    parser.add_argument("--validate-every", type=int, default=50)
    parser.add_argument(
        "--latency-ms",
        default="0",
        help="comma-separated: the fake server waits this long before each answer (one run each)",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("TEST_DATABASE_URL")
        or "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    latencies = [float(s) for s in args.latency_ms.split(",") if s]
    print(
        f"fake server validates 1 request in {args.validate_every} against the schema; "
        f"newsletter send {args.send_args or '(defaults)'}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        for latency in latencies:
            run_at_latency(args, Path(tmp), latency, sizes, backends)


def run_at_latency(
    args: argparse.Namespace, workdir: Path, latency: float, sizes: list[int], backends: list[str]
) -> None:
    """The naive path and every backend × size against one server answering after ``latency``."""
    label = f"latency {latency:g} ms" + (" (loopback, answers at once)" if not latency else "")
    print(f"--- {label}", flush=True)
    rates: dict[str, float] = {}
    with fake_server(args.validate_every, latency) as server:
        if args.naive:
            naive = run_child("_naive", server, str(args.naive))
            rates["naive"] = naive["recipients"] / naive["seconds"]
            print(
                f"naive      {args.naive:>9,} recipients: {naive['seconds']:7.2f} s "
                f"{rates['naive']:>10,.0f} recipients/s ({naive['requests']:,} requests)",
                flush=True,
            )
        for backend in backends:
            for size in sizes:
                for _ in range(args.repeat):
                    run_one(args, workdir, server, backend, size, rates)


def run_one(
    args: argparse.Namespace,
    workdir: Path,
    server: str,
    backend: str,
    size: int,
    rates: dict[str, float],
) -> None:
    """One whole-process ``newsletter send`` of ``size`` recipients on a fresh database."""
    with database(backend, workdir, args.pg_url, str(size)) as url:
        if backend == "sqlite":
            get_engine(url).dispose()  # create and migrate
        fill = fill_subscribers(url, size)
        r = run_child("_cli", url, server, *shlex.split(args.send_args))
    rate = r["recipients"] / r["seconds"]
    ratio = f" = {rate / rates['naive']:,.0f}x naive" if "naive" in rates else ""
    print(
        f"{backend:10} {size:>9,} recipients: {r['seconds']:7.2f} s whole process "
        f"{rate:>10,.0f} recipients/s{ratio} (send_campaign {r['send_seconds']:.2f} s); "
        f"{r['requests']:,} requests; CPU {r['cpu_seconds']:.2f} s; status {r['status']}; "
        f"peak RSS {r['peak_rss_mb']:.0f} MB; fill {fill:.1f} s",
        flush=True,
    )


if __name__ == "__main__":
    main()
