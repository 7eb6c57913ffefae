"""send_campaign end to end against the fake SendGrid server, on SQLite and PostgreSQL.

Batching, per-recipient values, suppression at claim time, and retries under injected faults:
every recipient is accepted exactly once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from mailer.render.email import (
    FIRST_NAME_HTML,
    FIRST_NAME_TEXT,
    PREFERENCES_URL,
    UNSUBSCRIBE_URL,
    Email,
)
from mailer.send.campaigns import delivery_ref
from mailer.send.links import RecipientLinks
from mailer.send.sender import SendReport, send_campaign
from mailer.transports.sendgrid import SendGridTransport
from subscribers.store import unsubscribe
from subscribers.tokens import TokenSigner
from tests.fakesendgrid import FakeSendGrid, FaultPlan
from tests.plugins.sendgrid import TEST_API_KEY, sendgrid_transport_for
from tests.plugins.sending import (
    BASE_URL,
    LIST_ID,
    FakeClock,
    Person,
    add_people,
    delivery_rows,
    fast_options,
    open_test_campaign,
)

Sender = Callable[..., SendReport]


@pytest.fixture
def server_transport(
    fake_sendgrid_factory: Callable[..., FakeSendGrid],
) -> Iterator[Callable[..., tuple[FakeSendGrid, SendGridTransport]]]:
    """Start a fake server with options and a transport pointed at it (both closed after)."""
    transports: list[SendGridTransport] = []

    def start(**options: Any) -> tuple[FakeSendGrid, SendGridTransport]:
        server = fake_sendgrid_factory(api_key=TEST_API_KEY, **options)
        transport = sendgrid_transport_for(server)
        transports.append(transport)
        return server, transport

    yield start
    for transport in transports:
        transport.close()


@pytest.fixture
def send(
    engine: Engine, sample_email: Email, recipient_links: RecipientLinks, send_clock: FakeClock
) -> Sender:
    """Open the sample email's campaign and send it through ``transport``."""

    def run(transport: SendGridTransport, **options: Any) -> SendReport:
        progress = options.pop("progress", None)
        campaign = open_test_campaign(engine, sample_email)
        return send_campaign(
            engine,
            campaign,
            transport,
            recipient_links,
            options=fast_options(**options),
            clock=send_clock,
            progress=progress,
        )

    return run


def accepted_by_address(server: FakeSendGrid) -> Counter[str]:
    return Counter(
        p["to"][0]["email"] for item in server.accepted() for p in item.body["personalizations"]
    )


def expected_refs(engine: Engine, campaign_id: int) -> set[str]:
    return {delivery_ref(campaign_id, row.id) for row in delivery_rows(engine, campaign_id)}


@pytest.mark.parametrize("count", [999, 1000, 1001, 2500])
def test_a_campaign_goes_in_batches_of_1000_and_reaches_everyone_once(
    count: int,
    engine: Engine,
    send: Sender,
    server_transport: Callable[..., tuple[FakeSendGrid, SendGridTransport]],
) -> None:
    people = add_people(engine, count)
    server, transport = server_transport()
    # one worker: on PostgreSQL, concurrent claims (SKIP LOCKED) may split rows unevenly
    report = send(transport, concurrency=1)
    assert server.requests == math.ceil(count / 1000)
    assert report.requests == math.ceil(count / 1000)
    ids = Counter(server.accepted_delivery_ids())
    assert set(ids) == expected_refs(engine, report.campaign_id)
    assert set(ids.values()) == {1}
    assert accepted_by_address(server) == Counter(p.email for p in people)
    assert report.status == "sent"
    assert report.counts["accepted"] == count == report.sent_now


def test_a_delivery_id_names_the_row_of_the_address_it_went_to(
    engine: Engine,
    send: Sender,
    server_transport: Callable[..., tuple[FakeSendGrid, SendGridTransport]],
) -> None:
    people = {p.id: p.email for p in add_people(engine, 30)}
    server, transport = server_transport()
    report = send(transport, batch_size=7)
    rows = {
        delivery_ref(report.campaign_id, row.id): people[row.subscriber_id]
        for row in delivery_rows(engine, report.campaign_id)
    }
    sent = {
        p["custom_args"]["delivery_id"]: p["to"][0]["email"]
        for item in server.accepted()
        for p in item.body["personalizations"]
    }
    assert sent == rows
    assert server.requests == 5
    message_ids = {row.message_id for row in delivery_rows(engine, report.campaign_id)}
    assert message_ids == {item.message_id for item in server.accepted()}


def test_every_recipient_carries_their_own_signed_tokens(
    engine: Engine,
    send: Sender,
    token_signer: TokenSigner,
    server_transport: Callable[..., tuple[FakeSendGrid, SendGridTransport]],
) -> None:
    people = {p.email: p for p in add_people(engine, 12)}
    server, transport = server_transport()
    send(transport)
    # several workers may split the 12 between requests (SKIP LOCKED on PostgreSQL)
    personalizations = [p for item in server.accepted() for p in item.body["personalizations"]]
    assert len(personalizations) == 12
    seen = set()
    for p in personalizations:
        person = people[p["to"][0]["email"]]
        values = p["substitutions"]
        unsubscribe_url = values[UNSUBSCRIBE_URL]
        assert unsubscribe_url.startswith(f"{BASE_URL}/u/")
        assert p["headers"]["List-Unsubscribe"] == f"<{unsubscribe_url}>"
        assert p["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # the link carries its campaign after the token: ``?c=<id>``
        token = unsubscribe_url.rsplit("/", 1)[1].partition("?c=")[0]
        claims = token_signer.verify(token, "unsubscribe")
        assert (claims.public_id, claims.list_id) == (person.public_id, LIST_ID)
        preferences = values[PREFERENCES_URL]
        assert preferences.startswith(f"{BASE_URL}/p/")
        claims = token_signer.verify(preferences.rsplit("/", 1)[1], "preferences")
        assert claims.public_id == person.public_id
        assert values[FIRST_NAME_TEXT] == person.first_name
        seen.add(unsubscribe_url)
    assert len(seen) == 12


def test_a_first_name_with_markup_is_escaped_for_html_and_raw_for_text(
    engine: Engine,
    send: Sender,
    server_transport: Callable[..., tuple[FakeSendGrid, SendGridTransport]],
) -> None:
    add_people(engine, 1, first_name='<script>alert("x")</script> & Jo')
    server, transport = server_transport()
    send(transport)
    values = server.accepted()[0].body["personalizations"][0]["substitutions"]
    assert values[FIRST_NAME_HTML] == ("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Jo")
    assert values[FIRST_NAME_TEXT] == '<script>alert("x")</script> & Jo'


def test_someone_who_unsubscribes_mid_campaign_is_skipped_and_counted_suppressed(
    engine: Engine,
    send: Sender,
    server_transport: Callable[..., tuple[FakeSendGrid, SendGridTransport]],
) -> None:
    people = add_people(engine, 6)
    leaver: Person = people[4]
    server, transport = server_transport()
    calls: list[int] = []

    def after_batch(n: int) -> None:
        if not calls:  # the first batch has gone: the fifth person unsubscribes now
            unsubscribe(engine, leaver.id, LIST_ID, who="supporter")
        calls.append(n)

    report = send(transport, batch_size=2, concurrency=1, progress=after_batch)
    addresses = accepted_by_address(server)
    assert leaver.email not in addresses
    assert addresses == Counter(p.email for p in people if p is not leaver)
    assert report.counts["suppressed"] == 1
    assert report.counts["accepted"] == 5
    assert report.status == "sent"
    row = next(r for r in delivery_rows(engine, report.campaign_id) if r.subscriber_id == leaver.id)
    assert row.status == "suppressed"


def test_under_injected_429s_503s_and_refused_connections_everyone_is_accepted_once(
    engine: Engine,
    send: Sender,
    server_transport: Callable[..., tuple[FakeSendGrid, SendGridTransport]],
) -> None:
    people = add_people(engine, 600)
    plan = FaultPlan(seed=7, rate429=0.08, rate503=0.07, refuse=0.06, refuse_seconds=0.005)
    server, transport = server_transport(plan=plan)
    report = send(transport, batch_size=20, concurrency=1)
    assert report.counts["unknown"] == 0, report.unknown_batches
    faults = Counter(server.faults)
    assert faults["429"]
    assert faults["503"]
    assert faults["refuse"]
    assert (faults["429"] + faults["503"] + faults["refuse"]) / sum(faults.values()) > 0.1
    ids = Counter(server.accepted_delivery_ids())
    assert set(ids.values()) == {1}
    assert set(ids) == expected_refs(engine, report.campaign_id)
    assert accepted_by_address(server) == Counter(p.email for p in people)
    assert report.status == "sent"
    assert report.counts["accepted"] == 600


def test_concurrent_requests_under_429s_and_503s_accept_everyone_once(
    engine: Engine,
    send: Sender,
    server_transport: Callable[..., tuple[FakeSendGrid, SendGridTransport]],
) -> None:
    add_people(engine, 400)
    server, transport = server_transport(plan=FaultPlan(seed=3, rate429=0.1, rate503=0.1))
    report = send(transport, batch_size=10, concurrency=4)
    assert {"429", "503"} <= set(server.faults)
    ids = Counter(server.accepted_delivery_ids())
    assert len(ids) == 400
    assert set(ids.values()) == {1}
    assert report.counts["accepted"] == 400
    assert report.status == "sent"
