"""What happened to a campaign after sending: the ledger's counts and SendGrid's events.

``accepted`` and ``unknown`` come from the ledger (deliveries SendGrid accepted, and those whose
fate is not known yet); everything else from the recorded events. ``opened`` and ``clicked``
count distinct subscribers (Apple Mail Privacy Protection opens every message it receives, so
opens are a floor of interest, not a measure); ``opens`` and ``clicks`` count every event.
Top links count distinct subscribers per URL (per-recipient tokens are cut out when recorded).

``unsubscribed`` counts people, from two records merged: SendGrid's ``unsubscribe`` and
``group_unsubscribe`` events, and the unsubscribes made through the campaign's own link or its
one-click List-Unsubscribe header (the link carries ``?c={campaign_id}``; the web app writes
``source`` ``campaign:<id>`` in the audit log). A person in both is counted once; an event
whose subscriber was since forgotten counts on its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Engine, distinct, func, select, union

from mailer.events.tables import events
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
    opens: int
    clicked: int  # distinct subscribers
    clicks: int
    bounced: int  # hard bounces, and drops of addresses known to bounce
    blocked: int  # soft: blocked or expired (counted, nobody suppressed)
    dropped: int
    deferred: int
    complained: int
    unsubscribed: int
    top_links: tuple[Link, ...]

    def rate(self, count: int) -> float | None:
        """``count`` as a share of accepted deliveries (None before any was accepted)."""
        return count / self.accepted if self.accepted else None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["top_links"] = [asdict(link) for link in self.top_links]
        return data


def campaign_report(engine: Engine, campaign: Campaign, *, links: int = 5) -> CampaignReport:
    """The numbers of one campaign (three grouped queries on the events' indexes)."""
    ledger = delivery_counts(engine, campaign.id)
    mine = events.c.campaign_id == campaign.id
    with read_connection(engine) as connection:
        rows = connection.execute(
            select(
                events.c.kind,
                events.c.effect,
                func.count(),
            )
            .where(mine)
            .group_by(events.c.kind, events.c.effect)
        ).all()
        top = connection.execute(
            select(
                events.c.url,
                func.count(distinct(events.c.subscriber_id)).label("clickers"),
                func.count().label("clicks"),
            )
            .where(mine, events.c.kind == EventKind.CLICK.value, events.c.url.is_not(None))
            .group_by(events.c.url)
            .order_by(func.count(distinct(events.c.subscriber_id)).desc(), events.c.url)
            .limit(links)
        ).all()
        unique: dict[str, int] = dict(
            connection.execute(
                select(events.c.kind, func.count(distinct(events.c.subscriber_id)))
                .where(mine, events.c.kind.in_((EventKind.OPEN.value, EventKind.CLICK.value)))
                .group_by(events.c.kind)
            ).all()
        )
        unsubscribed = _unsubscribed(connection, campaign.id)
    total: dict[str, int] = {}
    by_effect: dict[tuple[str, str], int] = {}
    for kind, effect, count in rows:
        total[kind] = total.get(kind, 0) + int(count)
        by_effect[(kind, effect)] = int(count)
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
        opened=int(unique.get(EventKind.OPEN.value, 0)),
        opens=total.get(EventKind.OPEN.value, 0),
        clicked=int(unique.get(EventKind.CLICK.value, 0)),
        clicks=total.get(EventKind.CLICK.value, 0),
        bounced=by_effect.get((EventKind.BOUNCE.value, bounced), 0)
        + by_effect.get((EventKind.DROPPED.value, bounced), 0),
        blocked=by_effect.get((EventKind.BOUNCE.value, Effect.COUNT.value), 0),
        dropped=total.get(EventKind.DROPPED.value, 0),
        deferred=total.get(EventKind.DEFERRED.value, 0),
        complained=total.get(EventKind.SPAMREPORT.value, 0),
        unsubscribed=unsubscribed,
        top_links=tuple(Link(row.url, int(row.clickers), int(row.clicks)) for row in top),
    )


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
