"""Pausing a campaign whose complaints or hard bounces pass the limits mailbox providers set.

Gmail and Yahoo start refusing a sender whose spam-complaint rate stays above 0.3%; a
hard-bounce rate above 5% means a stale or bought list. Rates are of the deliveries SendGrid
accepted (the ledger's ``accepted`` rows); hard bounces include ``dropped`` events for
addresses SendGrid already knows bounce.

A ``sending`` campaign over a limit is ``paused`` with the reason (``auto_resume`` False, so
``send --due`` leaves it alone until a person runs ``newsletter campaigns resume``). A campaign
already ``sent`` cannot be paused; the alert becomes its status reason instead, unless a person
already wrote one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, or_, select, update

from mailer.events.tables import events
from mailer.events.webhook import Effect
from mailer.send.campaigns import set_status
from mailer.send.states import CampaignState, DeliveryState
from mailer.send.tables import campaigns, deliveries
from subscribers.db import read_connection, write_transaction

AUTO_PAUSE = "paused automatically: "
ALERT = "alert: "


@dataclass(frozen=True, slots=True)
class PauseRules:
    """When a campaign is paused automatically.

    No campaign is judged on fewer than ``min_accepted`` accepted deliveries: three complaints
    in a send to 200 people is 1.5% but proves nothing, and a small send is over before a
    pause could help.
    """

    max_complaint_rate: float = 0.003
    max_bounce_rate: float = 0.05
    min_accepted: int = 1000


@dataclass(frozen=True, slots=True)
class Health:
    accepted: int
    bounced: int
    complained: int

    def alert(self, rules: PauseRules) -> str | None:
        """Why the campaign should stop, or None."""
        if self.accepted < rules.min_accepted or self.accepted == 0:
            return None
        problems = []
        if self.complained / self.accepted > rules.max_complaint_rate:
            problems.append(
                f"complaint rate {self.complained / self.accepted:.2%} "
                f"({self.complained} of {self.accepted} accepted) "
                f"is over {rules.max_complaint_rate:.1%}"
            )
        if self.bounced / self.accepted > rules.max_bounce_rate:
            problems.append(
                f"hard-bounce rate {self.bounced / self.accepted:.2%} "
                f"({self.bounced} of {self.accepted} accepted) "
                f"is over {rules.max_bounce_rate:.0%}"
            )
        return "; ".join(problems) or None


def campaign_health(engine: Engine, campaign_ids: Collection[int]) -> dict[int, Health]:
    """Accepted deliveries, hard bounces and complaints of each campaign (two grouped queries)."""
    ids = sorted(campaign_ids)
    with read_connection(engine) as connection:
        accepted: dict[int, int] = dict(
            connection.execute(
                select(deliveries.c.campaign_id, func.count())
                .where(
                    deliveries.c.campaign_id.in_(ids), deliveries.c.status == DeliveryState.ACCEPTED
                )
                .group_by(deliveries.c.campaign_id)
            ).all()
        )
        bad: dict[tuple[int, str], int] = {
            (campaign_id, effect): count
            for campaign_id, effect, count in connection.execute(
                select(events.c.campaign_id, events.c.effect, func.count())
                .where(
                    events.c.campaign_id.in_(ids),
                    events.c.effect.in_((Effect.BOUNCED.value, Effect.COMPLAINED.value)),
                )
                .group_by(events.c.campaign_id, events.c.effect)
            ).all()
        }
    return {
        c: Health(
            accepted=int(accepted.get(c, 0)),
            bounced=int(bad.get((c, Effect.BOUNCED.value), 0)),
            complained=int(bad.get((c, Effect.COMPLAINED.value), 0)),
        )
        for c in ids
    }


def check_campaigns(
    engine: Engine, campaign_ids: Collection[int], *, rules: PauseRules, now: datetime
) -> tuple[str, ...]:
    """Pause (or flag, when already sent) each campaign over a limit; their issue ids."""
    health = campaign_health(engine, campaign_ids)
    alerts = {c: text for c, h in health.items() if (text := h.alert(rules)) is not None}
    if not alerts:
        return ()
    with read_connection(engine) as connection:
        rows = connection.execute(
            select(campaigns.c.id, campaigns.c.issue_id, campaigns.c.status).where(
                campaigns.c.id.in_(sorted(alerts))
            )
        ).all()
    flagged = []
    for row in rows:
        text = alerts[row.id]
        if row.status == CampaignState.SENDING:
            if set_status(
                engine,
                row.id,
                CampaignState.PAUSED,
                now=now,
                reason=AUTO_PAUSE + text,
                auto_resume=False,
                only_from=(CampaignState.SENDING,),
            ):
                flagged.append(row.issue_id)
        elif row.status == CampaignState.SENT and _flag_sent(engine, row.id, ALERT + text, now):
            flagged.append(row.issue_id)
    return tuple(flagged)


def _flag_sent(engine: Engine, campaign_id: int, reason: str, now: datetime) -> bool:
    """Write the alert as a sent campaign's reason, unless a person wrote one."""
    with write_transaction(engine) as connection:
        result = connection.execute(
            update(campaigns)
            .where(
                campaigns.c.id == campaign_id,
                campaigns.c.status == CampaignState.SENT,
                or_(
                    campaigns.c.status_reason.is_(None), campaigns.c.status_reason.like(ALERT + "%")
                ),
                or_(campaigns.c.status_reason.is_(None), campaigns.c.status_reason != reason),
            )
            .values(status_reason=reason, updated_at=now)
        )
    return bool(result.rowcount)
