"""What a transport's answer does to a batch, to its campaign and to the run: one table.

:data:`OUTCOMES` is the table drawn in :mod:`mailer.send.sender`'s docstring, as data. Keyed
by the error the transport raised (``None``: it accepted the batch); :func:`outcome_of` finds
the entry for an error (or its nearest listed base class), :func:`describe` the words that go
with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mailer.errors import SendError
from mailer.send.states import CampaignState, DeliveryState
from mailer.transports.errors import AuthFailed, MaybeAccepted, Rejected, RetryBudgetExhausted


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a batch's deliveries go, where its campaign goes (None: stays), and whether to stop.

    ``auto_resume``: the campaign move is one the next scheduled run undoes (a pause);
    such a move happens only while the campaign is still ``sending``.
    """

    delivery: DeliveryState
    campaign: CampaignState | None
    stop: bool
    auto_resume: bool = False


OUTCOMES: Mapping[type[SendError] | None, Outcome] = {
    None: Outcome(DeliveryState.ACCEPTED, None, stop=False),
    MaybeAccepted: Outcome(DeliveryState.UNKNOWN, None, stop=False),
    Rejected: Outcome(DeliveryState.FAILED, CampaignState.FAILED, stop=True),
    AuthFailed: Outcome(DeliveryState.QUEUED, None, stop=True),
    RetryBudgetExhausted: Outcome(
        DeliveryState.QUEUED, CampaignState.PAUSED, stop=True, auto_resume=True
    ),
}


def outcome_of(error: BaseException | None) -> Outcome | None:
    """The table's entry for ``error`` (None: accepted); None when the table has none."""
    if error is None:
        return OUTCOMES[None]
    for kind in type(error).__mro__:
        found = OUTCOMES.get(kind)
        if found is not None:
            return found
    return None


def describe(error: BaseException | None) -> tuple[str | None, str | None]:
    """The note for the batch's deliveries and the reason for its campaign's move."""
    if isinstance(error, Rejected):
        detail = "; ".join(error.messages) or str(error)
        return detail, f"SendGrid refused the request (400): {detail}"
    if isinstance(error, RetryBudgetExhausted):
        return None, f"paused: {error} — the next run resumes it"
    if isinstance(error, MaybeAccepted):
        return str(error), None
    return None, None
