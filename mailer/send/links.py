"""Personalisation: each recipient's signed links and tag values, as :class:`Outgoing` items.

The sender, ``send --sandbox`` and ``send --dry-run`` all turn a sequence of
:class:`Recipient` values into what a transport sends; none of them builds a batch to do it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from mailer.render.email import Email, substitutions
from mailer.send.campaigns import delivery_ref_prefix
from mailer.transports.base import Outgoing
from subscribers.tokens import TokenSigner


class Recipient(NamedTuple):
    """One person to address: their delivery row, subscriber and what the email needs.

    A named tuple: a claim makes a thousand at a time, straight from the database rows.
    ``row_id`` is the delivery row (the delivery id sent to SendGrid is built from it); a
    send that has no delivery rows (sandbox, dry run) passes the subscriber id.
    """

    row_id: int
    subscriber_id: int
    public_id: str
    email: str
    first_name: str | None


@dataclass(frozen=True)
class RecipientLinks:
    """Signs each recipient's unsubscribe and preferences links.

    The unsubscribe link (the footer's ``%%unsubscribe_url%%`` and the List-Unsubscribe header
    alike) ends in ``?c={campaign_id}``, so an unsubscribe through it counts for that campaign
    in ``newsletter report``. It is not signed: a forged ``c`` could only mis-attribute the
    person's own unsubscribe, and the web app ignores one that names no campaign.
    """

    signer: TokenSigner
    base_url: str

    def outgoing(
        self,
        email: Email,
        campaign_id: int,
        recipients: Iterable[Recipient],
        now: datetime,
    ) -> list[Outgoing]:
        """One :class:`Outgoing` per recipient of ``email``, links signed as of ``now``."""
        sign_unsubscribe = self.signer.signer_for("unsubscribe", email.list_id, now)
        sign_preferences = self.signer.signer_for("preferences", None, now)
        unsubscribe_at = f"{self.base_url}/u/"
        preferences_at = f"{self.base_url}/p/"
        attributed = f"?c={campaign_id}"  # the campaign the unsubscribe is counted for
        prefix = delivery_ref_prefix(campaign_id)  # + row id: the delivery ref, no call per row
        out = []
        for row_id, _, public_id, to_email, first_name in recipients:
            unsubscribe = unsubscribe_at + sign_unsubscribe(public_id) + attributed
            preferences = preferences_at + sign_preferences(public_id)
            out.append(
                Outgoing(
                    f"{prefix}{row_id}",
                    to_email,
                    first_name,
                    substitutions(first_name, unsubscribe, preferences),
                    unsubscribe,
                )
            )
        return out


def campaign_custom_args(campaign_id: int | str, issue_id: str, list_id: str) -> dict[str, str]:
    """What every request of a campaign carries, for SendGrid's events to point back."""
    return {"campaign_id": str(campaign_id), "issue_id": issue_id, "list_id": list_id}
