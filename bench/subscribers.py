"""Benchmark the subscriber store: CSV import, audience streaming, token signing.

    .venv/bin/python bench/subscribers.py [--backend sqlite|postgresql|both]
        [--rows 100000] [--audience 1000000] [--pg-url URL]

Import: a generated CSV of ``--rows`` rows into a fresh database (seconds, rows/s). Audience:
``--audience`` active subscribers inserted in bulk with SQL, then streamed with
``iter_audience`` in a child process whose peak RSS (``ru_maxrss``) is reported. PostgreSQL
uses a private database ``bench_<pid>`` on the server of ``--pg-url`` (default
TEST_DATABASE_URL), dropped afterwards. Prints figures; asserts nothing; not run by the tests.
Targets (issue 3): import of 100,000 rows under 10 s; 1M audience under 200 MB peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from subscribers.audience import count_audience, iter_audience  # noqa: E402
from subscribers.db import get_engine, normalise_url, upgrade  # noqa: E402
from subscribers.importer import import_csv  # noqa: E402
from subscribers.keys import AddressHasher  # noqa: E402
from subscribers.tokens import TokenSigner  # noqa: E402

INTERESTS = ("secondary", "lobular", "trials", "prevention")


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("Email Address,First name,Last name,Interests\n")
        for i in range(rows):
            handle.write(f"person{i}@example.org,First{i},Last{i},{INTERESTS[i % 4]}\n")


def bench_import(url: str, rows: int, workdir: Path) -> dict[str, float]:
    path = workdir / "import.csv"
    write_csv(path, rows)
    engine = get_engine(url)
    try:
        start = time.perf_counter()
        summary = import_csv(
            engine,
            path,
            "research-news",
            hasher=AddressHasher([b"bench-key-0123456789"]),
            who="bench",
            allowed_interests=set(INTERESTS),
        )
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        again = import_csv(
            engine, path, "research-news", hasher=AddressHasher([b"bench-key-0123456789"]), who="b"
        )
        reimport = time.perf_counter() - start
    finally:
        engine.dispose()
    assert summary.added == rows, summary
    assert again.unchanged == rows, again
    return {"seconds": seconds, "rows_per_s": rows / seconds, "reimport_seconds": reimport}


def fill_audience(url: str, count: int) -> float:
    """Insert ``count`` active subscribers of list 'bench' with set-based SQL."""
    engine = get_engine(url)
    start = time.perf_counter()
    try:
        with engine.begin() as conn:
            before = conn.execute(text("SELECT coalesce(max(id), 0) FROM subscribers")).scalar()
            if engine.dialect.name == "sqlite":
                series = (
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < :count) SELECT i FROM n"
                )
                now = "'2024-06-01 12:00:00.000000'"
            else:
                series = "SELECT generate_series(1, :count) AS i"
                now = "now()"
            conn.execute(
                text(
                    "INSERT INTO subscribers (public_id, email, email_key, first_name, status, "
                    "attributes, created_at, updated_at) "
                    f"SELECT 'bench-' || i, 'aud' || i || '@bench.example.org', "
                    f"'aud' || i || '@bench.example.org', 'Name' || i, 'active', '{{}}', "
                    f"{now}, {now} FROM ({series}) AS s"
                ),
                {"count": count},
            )
            conn.execute(
                text(
                    "INSERT INTO subscriptions (subscriber_id, list_id, status, created_at, "
                    f"updated_at) SELECT id, 'bench', 'active', {now}, {now} FROM subscribers "
                    "WHERE id > :before"
                ),
                {"before": before},
            )
            conn.execute(
                text(
                    "INSERT INTO subscriber_interests (subscriber_id, interest_id) "
                    "SELECT id, 'trials' FROM subscribers WHERE id > :before AND id % 3 = 0"
                ),
                {"before": before},
            )
            if engine.dialect.name != "sqlite":
                conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return time.perf_counter() - start


def stream_child(url: str, interests: str) -> None:
    """Runs in a child process: stream the audience, print figures as JSON."""
    engine = get_engine(url, auto_migrate=False)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    chosen = interests.split(",") if interests else None
    start = time.perf_counter()
    count = sum(1 for _ in iter_audience(engine, "bench", chosen))
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    counted = count_audience(engine, "bench", chosen)
    count_seconds = time.perf_counter() - start
    engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "streamed": count,
                "counted": counted,
                "seconds": seconds,
                "count_seconds": count_seconds,
                "baseline_rss_mb": baseline / 1024,
                "peak_rss_mb": peak / 1024,
            }
        )
    )


def bench_stream(url: str, interests: str = "") -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "_stream", url, interests],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out)
    return result


def bench_tokens() -> dict[str, float]:
    signer = TokenSigner([b"bench-key-0123456789", b"previous-key-0123456789"])
    token = signer.sign("unsubscribe", "AbCdEfGhIjKlMnOp", "research-news")
    old = TokenSigner([b"previous-key-0123456789"]).sign("preferences", "AbCdEfGhIjKlMnOp")
    n = 100_000

    def per_call(stmt: object) -> float:
        return min(timeit.repeat(stmt, number=n, repeat=3)) / n * 1e6  # type: ignore[arg-type]

    return {
        "sign_us": per_call(
            lambda: signer.sign("unsubscribe", "AbCdEfGhIjKlMnOp", "research-news")
        ),
        "verify_us": per_call(lambda: signer.verify(token, "unsubscribe")),
        "verify_previous_key_us": per_call(lambda: signer.verify(old, "preferences")),
    }


def run_backend(name: str, args: argparse.Namespace, workdir: Path) -> None:
    if name == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        drop = None
    else:
        base = make_url(normalise_url(args.pg_url))
        db = f"bench_{os.getpid()}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        url = base.set(database=db).render_as_string(hide_password=False)
        upgrade(url)

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            admin.dispose()

    try:
        figures = bench_import(url, args.rows, workdir)
        print(
            f"{name:10} import {args.rows:,} rows: {figures['seconds']:.2f} s "
            f"({figures['rows_per_s']:,.0f} rows/s); re-import (all unchanged) "
            f"{figures['reimport_seconds']:.2f} s"
        )
        fill = fill_audience(url, args.audience)
        print(f"{name:10} bulk-insert {args.audience:,} audience rows: {fill:.1f} s")
        for interests in ("", "trials"):
            s = bench_stream(url, interests)
            label = f"interests={interests}" if interests else "all"
            print(
                f"{name:10} stream audience ({label}): {s['streamed']:,.0f} in "
                f"{s['seconds']:.2f} s ({s['streamed'] / s['seconds']:,.0f}/s), "
                f"count {s['count_seconds']:.2f} s, peak RSS {s['peak_rss_mb']:.0f} MB "
                f"(after start-up {s['baseline_rss_mb']:.0f} MB)"
            )
    finally:
        if drop is not None:
            drop()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_stream":
        stream_child(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--audience", type=int, default=1_000_000)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    t = bench_tokens()
    print(
        f"tokens: sign {t['sign_us']:.1f} µs, verify {t['verify_us']:.1f} µs, "
        f"verify with previous key {t['verify_previous_key_us']:.1f} µs"
    )
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    with tempfile.TemporaryDirectory() as tmp:
        for name in backends:
            run_backend(name, args, Path(tmp))


if __name__ == "__main__":
    main()
