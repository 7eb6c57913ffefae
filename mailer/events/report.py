"""What happened to a campaign after sending: the ledger's counts and SendGrid's events.

``accepted`` and ``unknown`` come from the ledger (deliveries SendGrid accepted, and those whose
fate is not known yet); everything else from the recorded events. ``opened`` and ``clicked``
count distinct subscribers (Apple Mail Privacy Protection opens every message it receives, so
opens are a floor of interest, not a measure); ``opens`` and ``clicks`` count every event.
Top links count distinct subscribers per URL (per-recipient tokens are cut out when recorded).

Machine opens (SendGrid's ``sg_machine_open``: a privacy proxy fetched the images, nobody read
anything) never count as opens: they are counted apart, in ``machine_opens``. Bounce events are
split by SendGrid's ``bounce_classification`` (Invalid Address, Mailbox Unavailable, Reputation,
Technical, Content, Frequency or Volume, Unclassified; an event without one counts as
Unclassified), each with its hard bounces and its blocked or expired ones.

``unsubscribed`` counts people, from two records merged: SendGrid's ``unsubscribe`` and
``group_unsubscribe`` events, and the unsubscribes made through the campaign's own link or its
one-click List-Unsubscribe header (the link carries ``?c={campaign_id}``; the web app writes
``source`` ``campaign:<id>`` in the audit log). A person in both is counted once; an event
whose subscriber was since forgotten counts on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Engine, ScalarSelect, distinct, func, select, union

from mailer.events.tables import events
from mailer.events.totals import EventRow, has_totals, read_totals
from mailer.events.webhook import Effect, EventKind
from mailer.send.campaigns import Campaign
from mailer.send.deliveries import delivery_counts
from subscribers.db import read_connection
from subscribers.models import audit_log, subscribers


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    clickers: int  # distinct subscribers
    clicks: int


@dataclass(frozen=True, slots=True)
class BounceClass:
    classification: str  # SendGrid's bounce_classification
    bounced: int  # hard bounces (the address is suppressed)
    blocked: int  # blocked or expired (counted, nobody suppressed)


UNCLASSIFIED = "Unclassified"


@dataclass(frozen=True, slots=True)
class CampaignReport:
    campaign_id: int
    issue_id: str
    status: str
    reason: str | None
    recipients: int
    accepted: int
    unknown: int
    delivered: int
    opened: int  # distinct subscribers
    opens: int  # open events, machine opens excepted
    machine_opens: int  # sg_machine_open events: never counted as opens
    clicked: int  # distinct subscribers
    clicks: int
    bounced: int  # hard bounces, and drops of addresses known to bounce
    blocked: int  # soft: blocked or expired (counted, nobody suppressed)
    dropped: int
    deferred: int
    complained: int
    unsubscribed: int
    top_links: tuple[Link, ...]
    bounce_classes: tuple[BounceClass, ...] = ()  # most bounces first

    def rate(self, count: int) -> float | None:
        """``count`` as a share of accepted deliveries (None before any was accepted)."""
        return count / self.accepted if self.accepted else None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["top_links"] = [asdict(link) for link in self.top_links]
        data["bounce_classes"] = [asdict(item) for item in self.bounce_classes]
        return data


def campaign_report(engine: Engine, campaign: Campaign, *, links: int = 5) -> CampaignReport:
    """The numbers of one campaign.

    On PostgreSQL the deliveries per state, events per kind and distinct people who opened or
    clicked are the running totals its triggers keep (:mod:`mailer.events.totals`, migration
    0010); bounce classes, top links and unsubscribes are counted (few rows, or read from an
    index alone). On SQLite everything is counted, each query read from an index (0009).
    """
    if not has_totals(engine):
        return _counted_report(engine, campaign, links=links)
    with read_connection(engine) as connection:
        totals = read_totals(connection, campaign.id)
        classes = _bounce_classes(connection, campaign.id)
        top = _top_links(connection, campaign.id, links)
        unsubscribed = _unsubscribed(connection, campaign.id)
    return _report(
        campaign,
        totals.ledger,
        _fold_events(totals.events),
        (totals.opened, totals.clicked),
        (classes, top, unsubscribed),
    )


def _counted_report(engine: Engine, campaign: Campaign, *, links: int = 5) -> CampaignReport:
    """The report counted from the rows themselves: SQLite's path, and the tests' reference."""
    ledger = delivery_counts(engine, campaign.id)
    with read_connection(engine) as connection:
        counted = _event_counts(connection, campaign.id)
        classes = _bounce_classes(connection, campaign.id)
        top = _top_links(connection, campaign.id, links)
        people = _people(connection, campaign.id)
        unsubscribed = _unsubscribed(connection, campaign.id)
    return _report(campaign, ledger, counted, people, (classes, top, unsubscribed))


_Counted = tuple[dict[str, int], dict[tuple[str, str], int], int]


def _report(
    campaign: Campaign,
    ledger: dict[str, int],
    counted: _Counted,
    people: tuple[int, int],
    rest: tuple[tuple[BounceClass, ...], tuple[Link, ...], int],
) -> CampaignReport:
    total, by_effect, machine_opens = counted
    classes, top, unsubscribed = rest
    bounced = Effect.BOUNCED.value
    return CampaignReport(
        campaign_id=campaign.id,
        issue_id=campaign.issue_id,
        status=campaign.status,
        reason=campaign.status_reason,
        recipients=campaign.recipients,
        accepted=ledger["accepted"],
        unknown=ledger["unknown"],
        delivered=total.get(EventKind.DELIVERED.value, 0),
        opened=people[0],
        opens=total.get(EventKind.OPEN.value, 0),
        machine_opens=machine_opens,
        clicked=people[1],
        clicks=total.get(EventKind.CLICK.value, 0),
        bounced=by_effect.get((EventKind.BOUNCE.value, bounced), 0)
        + by_effect.get((EventKind.DROPPED.value, bounced), 0),
        blocked=by_effect.get((EventKind.BOUNCE.value, Effect.COUNT.value), 0),
        dropped=total.get(EventKind.DROPPED.value, 0),
        deferred=total.get(EventKind.DEFERRED.value, 0),
        complained=total.get(EventKind.SPAMREPORT.value, 0),
        unsubscribed=unsubscribed,
        top_links=top,
        bounce_classes=classes,
    )


def _event_counts(connection: Connection, campaign_id: int) -> _Counted:
    """Events per kind and per (kind, effect), machine opens apart: one pass over one index."""
    rows = connection.execute(
        select(events.c.kind, events.c.effect, events.c.machine_open, func.count())
        .where(events.c.campaign_id == campaign_id)
        .group_by(events.c.kind, events.c.effect, events.c.machine_open)
    ).all()
    return _fold_events((str(k), str(e), bool(m), int(n)) for k, e, m, n in rows)


def _fold_events(rows: Iterable[EventRow]) -> _Counted:
    total: dict[str, int] = {}
    by_effect: dict[tuple[str, str], int] = {}
    machine_opens = 0
    for kind, effect, machine, count in rows:
        if machine:  # a proxy fetched the images: never an open, counted apart
            machine_opens += count if kind == EventKind.OPEN.value else 0
            continue
        total[kind] = total.get(kind, 0) + count
        by_effect[(kind, effect)] = by_effect.get((kind, effect), 0) + count
    return total, by_effect, machine_opens


def _people(connection: Connection, campaign_id: int) -> tuple[int, int]:
    """Distinct people who opened (machine opens aside) and who clicked.

    ``SELECT DISTINCT`` per kind walks the index in ``subscriber_id`` order (a Unique step, no
    sort, no hash), which on PostgreSQL is several times faster than ``COUNT(DISTINCT)``.
    """

    def people(kind: EventKind) -> ScalarSelect[int]:
        ids = (
            select(events.c.subscriber_id)
            .distinct()
            .where(
                events.c.campaign_id == campaign_id,
                events.c.kind == kind.value,
                events.c.subscriber_id.is_not(None),
                events.c.machine_open.is_not(True),
            )
            .subquery()
        )
        return select(func.count()).select_from(ids).scalar_subquery()

    row = connection.execute(select(people(EventKind.OPEN), people(EventKind.CLICK))).one()
    return int(row[0]), int(row[1])


def _top_links(connection: Connection, campaign_id: int, links: int) -> tuple[Link, ...]:
    """The most clicked links: distinct people and clicks per URL."""
    people = func.count(distinct(events.c.subscriber_id))
    rows = connection.execute(
        select(events.c.url, people.label("clickers"), func.count().label("clicks"))
        .where(
            events.c.campaign_id == campaign_id,
            events.c.kind == EventKind.CLICK.value,
            events.c.url.is_not(None),
        )
        .group_by(events.c.url)
        .order_by(people.desc(), events.c.url)
        .limit(links)
    ).all()
    return tuple(Link(row.url, int(row.clickers), int(row.clicks)) for row in rows)


def _bounce_classes(connection: Connection, campaign_id: int) -> tuple[BounceClass, ...]:
    """Bounce events by SendGrid's classification: hard ones and blocked or expired ones."""
    rows = connection.execute(
        select(events.c.bounce_classification, events.c.effect, func.count())
        .where(events.c.campaign_id == campaign_id, events.c.kind == EventKind.BOUNCE.value)
        .group_by(events.c.bounce_classification, events.c.effect)
    ).all()
    counts: dict[str, list[int]] = {}
    for classification, effect, count in rows:
        pair = counts.setdefault(classification or UNCLASSIFIED, [0, 0])
        pair[0 if effect == Effect.BOUNCED.value else 1] += int(count)
    ordered = sorted(counts.items(), key=lambda item: (-sum(item[1]), item[0]))
    return tuple(BounceClass(name, hard, soft) for name, (hard, soft) in ordered)


def _unsubscribed(connection: Connection, campaign_id: int) -> int:
    """Distinct people who left through this campaign: SendGrid's events and our own link."""
    kinds = (EventKind.UNSUBSCRIBE.value, EventKind.GROUP_UNSUBSCRIBE.value)
    left = events.c.campaign_id == campaign_id, events.c.kind.in_(kinds)
    by_event = select(events.c.subscriber_id.label("id")).where(
        *left, events.c.subscriber_id.is_not(None)
    )
    by_link = (
        select(subscribers.c.id.label("id"))
        .join(audit_log, audit_log.c.subject == subscribers.c.public_id)
        .where(
            audit_log.c.source == f"campaign:{campaign_id}",
            audit_log.c.action == "unsubscribe",
        )
    )
    people = connection.execute(
        select(func.count()).select_from(union(by_event, by_link).subquery())
    ).scalar_one()
    forgotten = connection.execute(
        select(func.count()).where(*left, events.c.subscriber_id.is_(None))
    ).scalar_one()
    return int(people) + int(forgotten)
