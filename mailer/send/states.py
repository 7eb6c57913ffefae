"""The states of a campaign and of one delivery, as in listmonk's named constants.

Both are ``StrEnum``s: a member *is* its string, so it goes into and comes out of the
database's ``status`` columns unchanged (no CHECK constraint lists them; see migration 0002).

campaign:  sending → sent, or paused / cancelled / failed
           (a campaign is created ``sending`` by ``newsletter send``; nothing ever set the
           ``draft`` or ``scheduled`` states, so they are gone: an issue's own ``status`` and
           ``send_at`` in its YAML say whether it is ready and when)
delivery:  queued → claimed (worker id + lease) → accepted,
           or failed / suppressed / unknown (fate not known: settled by SendGrid's own
           ``processed``/``dropped`` events or by a person, never resent silently);
           accepted or unknown → cancelled when a campaign staged under a cancel window is
           cancelled at SendGrid before its ``send_at`` (nobody receives it)
"""

from __future__ import annotations

from enum import StrEnum


class CampaignState(StrEnum):
    """Where a campaign stands."""

    SENDING = "sending"
    SENT = "sent"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    FAILED = "failed"


class DeliveryState(StrEnum):
    """What happened to one recipient of a campaign."""

    QUEUED = "queued"
    CLAIMED = "claimed"
    ACCEPTED = "accepted"
    UNKNOWN = "unknown"
    SUPPRESSED = "suppressed"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED_STATES = frozenset({CampaignState.SENT, CampaignState.CANCELLED, CampaignState.FAILED})
"""Campaign states nothing moves out of by itself (``resolve --resend`` reopens ``sent``)."""

OPEN_DELIVERY_STATES = (DeliveryState.QUEUED, DeliveryState.CLAIMED)
"""Delivery states that keep a campaign from being ``sent``."""
