"""What happened to a campaign after sending: the ledger's counts and SendGrid's events.

``accepted`` and ``unknown`` come from the ledger (deliveries SendGrid accepted, and those whose
fate is not known yet); everything else from the recorded events. ``opened`` and ``clicked``
count distinct subscribers (Apple Mail Privacy Protection opens every message it receives, so
opens are a floor of interest, not a measure); ``opens`` and ``clicks`` count every event.
Top links count distinct subscribers per URL (per-recipient tokens are cut out when recorded).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, distinct, func, select

from mailer.events.tables import events
from mailer.events.webhook import Effect, EventKind
from mailer.send.campaigns import Campaign
from mailer.send.deliveries import delivery_counts
from subscribers.db import read_connection


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
        unsubscribed=total.get(EventKind.UNSUBSCRIBE.value, 0)
        + total.get(EventKind.GROUP_UNSUBSCRIBE.value, 0),
        top_links=tuple(Link(row.url, int(row.clickers), int(row.clicks)) for row in top),
    )
