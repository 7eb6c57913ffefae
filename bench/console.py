"""Benchmark: the staff console's campaign page and report for a 1,000,000-recipient campaign.

Builds, in a private PostgreSQL database (``--postgres``, default TEST_DATABASE_URL; dropped
afterwards), ``--size`` subscribers, one campaign with a delivery each (80 % accepted, the
rest queued but for one batch of 1,000 whose outcome is unknown) and SendGrid events (60 %
delivered, 20 % opened, 5 % clicked over 20 links and three days, 1 % bounced, 0.2 %
unsubscribed, 0.05 % complaints), all with ``generate_series``. Then serves the real app
with uvicorn on 127.0.0.1, signs in over HTTP and times ``GET /staff/campaigns/{id}``, its
``progress.json`` (what the page polls) and ``/staff/campaigns/{id}/report`` while the
campaign is sending (counted on every request), then the report once the campaign is marked
sent (the first request counts, the next ones within 5 s are served from the kept numbers),
and ``campaign_report`` + ``first_days`` called directly (what ``newsletter report`` counts):
median, worst and first of ``--repeat`` requests, as a table. Target: < 200 ms.

After seeding, the bench runs ``VACUUM ANALYZE``, as autovacuum does after a send in
production: the visibility map is what lets PostgreSQL count from the indexes alone.

    .venv/bin/python bench/console.py [--size 1000000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the project's packages, not bench/subscribers.py

from bench.pg import postgres_database  # noqa: E402

LIST_ID = "research-news"
PASSWORD = "bench password 123"
SECRET = "bench-secret-key-for-the-console"


SEED = [
    """INSERT INTO subscribers (public_id, email, email_key, status, attributes, created_at,
       updated_at) SELECT 'b' || lpad(g::text, 9, '0'), 'p' || g || '@example.org',
       'p' || g || '@example.org', 'active', '{}'::json, now(), now()
       FROM generate_series(1, :n) g""",
    """INSERT INTO deliveries (campaign_id, subscriber_id, status, batch_id, updated_at)
       SELECT :cid, id, CASE WHEN id > :n - 1000 THEN 'unknown' WHEN id % 10 < 8 THEN
       'accepted' ELSE 'queued' END, 'b' || (id / 1000), now() FROM subscribers""",
    """INSERT INTO events (sg_event_id, kind, event_type, effect, campaign_id, subscriber_id,
       url, occurred_at, received_at)
       SELECT 'e' || k.kind || s.id, k.kind, k.kind, k.effect, :cid, s.id,
       CASE WHEN k.kind = 'click' THEN 'https://example.org/story/' || (s.id % 20) END,
       :start + (s.id % 3) * interval '1 day' + interval '1 hour', now()
       FROM subscribers s JOIN (VALUES ('delivered', 'count', 10, 6), ('open', 'count', 10, 2),
       ('click', 'count', 100, 5), ('bounce', 'bounced', 1000, 10),
       ('unsubscribe', 'unsubscribed', 1000, 2), ('spamreport', 'complained', 10000, 5))
       AS k(kind, effect, modulo, below) ON s.id % k.modulo < k.below""",
    "UPDATE campaigns SET recipients = :n WHERE id = :cid",
    "VACUUM ANALYZE",  # what autovacuum does after a send: index-only scans become possible
]


def seed(engine: Engine, size: int) -> int:
    from mailer.render.email import Email
    from mailer.send.campaigns import start_campaign
    from mailer.web.staff.accounts import add_staff

    now = datetime.now(UTC)
    email = Email(
        issue_id="bench-issue",
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
    started = time.perf_counter()
    with engine.connect() as connection:
        connection.execute(text(SEED[0]), {"n": size})
        connection.commit()
        for statement in SEED[1:4]:
            connection.execute(text(statement), {"n": size, "cid": campaign.id, "start": now})
            connection.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(SEED[4]))
    print(f"seeded {size:,} recipients in {time.perf_counter() - started:.1f} s")
    add_staff(engine, "bench@example.org", name="Bench", role="admin", password=PASSWORD, now=now)
    return campaign.id


@contextlib.contextmanager
def serving(db_url: str) -> Iterator[str]:
    from mailer.settings import load_project
    from mailer.web import create_app

    app = create_app(
        load_project(ROOT), engine_url=db_url, environ={"NEWSLETTER_SECRET_KEY": SECRET}
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not (server.started and server.servers):
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


Timing = tuple[str, list[float]]


def timed(label: str, repeat: int, call: Callable[[], object]) -> Timing:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return label, times


def signed_in(http: httpx.Client) -> None:
    form = LexborHTMLParser(http.get("/staff/login").text).css_first("input[name=csrf_token]")
    token = str(form.attributes["value"]) if form else ""
    data = {"csrf_token": token, "email": "bench@example.org", "password": PASSWORD}
    # the project's base_url is https: the cookie is Secure, so hand it over by hand
    answer = http.post("/staff/login", data=data)
    http.cookies.set("nl_staff", answer.cookies["nl_staff"], path="/staff")


def time_pages(base: str, engine: Engine, campaign_id: int, repeat: int) -> list[Timing]:
    from mailer.events.report import campaign_report
    from mailer.events.timeline import first_days
    from mailer.send.campaigns import get_campaign, set_status

    def get(path: str) -> Callable[[], object]:
        def call() -> object:
            response = http.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
            return response

        return call

    page = f"/staff/campaigns/{campaign_id}"
    with httpx.Client(base_url=base, trust_env=False, timeout=60) as http:
        signed_in(http)
        timings = [
            timed("campaign page (sending)", repeat, get(page)),
            timed("progress.json (sending)", repeat, get(f"{page}/progress.json")),
            timed("report (sending: counted)", repeat, get(f"{page}/report")),
        ]
        set_status(engine, campaign_id, "sent", now=datetime.now(UTC))
        timings.append(timed("report (sent: kept 5 s)", repeat, get(f"{page}/report")))
    campaign = get_campaign(engine, campaign_id)
    if campaign is None:
        raise SystemExit("the campaign went missing")
    timings.append(
        timed(
            "newsletter report (library)",
            repeat,
            lambda: (campaign_report(engine, campaign, links=10), first_days(engine, campaign)),
        )
    )
    return timings


def print_table(timings: list[Timing], size: int) -> None:
    table = Table(title=f"Staff console, {size:,} recipients on PostgreSQL (target < 200 ms)")
    for column in ("what", "median ms", "worst ms", "first ms"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for label, times in timings:
        table.add_row(
            label, f"{statistics.median(times):.1f}", f"{max(times):.1f}", f"{times[0]:.1f}"
        )
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    Console().print(table)
    print(f"load average: {load}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    if not args.postgres:
        raise SystemExit("give --postgres URL or set TEST_DATABASE_URL")
    from subscribers.db import get_engine

    with postgres_database(args.postgres, "bench_console") as url:
        engine = get_engine(url)
        try:
            campaign_id = seed(engine, args.size)
            with serving(url) as base:
                timings = time_pages(base, engine, campaign_id, args.repeat)
        finally:
            engine.dispose()
        print_table(timings, args.size)


if __name__ == "__main__":
    main()
