"""The campaign ledger: one campaign per issue id, ever; one delivery row per recipient.

Every function takes an engine and does one short transaction (``BEGIN IMMEDIATE`` on SQLite
through :func:`subscribers.db.write_transaction`). The crash-safety rules live here:

- a campaign freezes its rendered email (and records its hash) when it starts, so later
  edits to the YAML change nothing already sending or sent;
- the audience is snapshotted once, into ``deliveries`` (unique per campaign × subscriber);
- a worker claims a batch with one statement, ``UPDATE … WHERE id IN (SELECT … LIMIT n)`` on
  SQLite and ``UPDATE … WHERE id = ANY(ARRAY(SELECT … LIMIT n FOR UPDATE SKIP LOCKED))`` on
  PostgreSQL, recording its worker id and lease; suppression is re-checked at claim time;
- rows are marked ``accepted`` only after the server said so; a claimed batch whose worker died
  or whose lease ran out becomes ``unknown`` and is never resent without a person (or a
  SendGrid ``processed``/``dropped`` event) deciding.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from mailer.render.email import Email, email_hash
from mailer.send.states import FINISHED_STATES, CampaignState, DeliveryState
from mailer.send.tables import campaigns, deliveries, test_sends
from subscribers.audience import audience_ids
from subscribers.db import read_connection, write_transaction

HOST = socket.gethostname()


def new_worker_id() -> str:
    """``host:pid:random``: lets a rerun on the same host see that a worker has died."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def worker_is_dead(worker_id: str) -> bool:
    """True when ``worker_id`` names a process on this host that no longer runs."""
    host, _, rest = worker_id.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A process that has ended but was never reaped (its parent died too, and PID 1 in a
    container often reaps nobody): ``kill(pid, 0)`` still finds it. Linux only; elsewhere
    False."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return False
    return bool(fields) and fields[0] in ("Z", "X")


def delivery_ref_prefix(campaign_id: int) -> str:
    """What every delivery id of a campaign starts with; the delivery row's id follows."""
    return f"c{campaign_id}-d"


def delivery_ref(campaign_id: int, delivery_row: int) -> str:
    """The delivery id sent in SendGrid's custom args: ``c<campaign>-d<row>``."""
    return f"{delivery_ref_prefix(campaign_id)}{delivery_row}"


def parse_delivery_ref(value: str) -> tuple[int, int] | None:
    campaign, _, row = value.partition("-")
    if campaign[:1] != "c" or row[:1] != "d":
        return None
    try:
        return int(campaign[1:]), int(row[1:])
    except ValueError:
        return None


# --- the frozen email --------------------------------------------------------------------


def email_to_json(email: Email) -> str:
    data = asdict(email)
    for key in ("send_at", "embargo_until"):
        value = data[key]
        data[key] = value.isoformat() if value else None
    data["interests"] = list(email.interests)
    return json.dumps(data)


def email_from_json(text: str) -> Email:
    data = json.loads(text)
    for key in ("send_at", "embargo_until"):
        data[key] = datetime.fromisoformat(data[key]) if data[key] else None
    data["interests"] = tuple(data["interests"])
    return Email(**data)


@dataclass(frozen=True)
class Campaign:
    id: int
    issue_id: str
    status: CampaignState
    list_id: str
    interests: tuple[str, ...]
    subject: str
    transport: str
    recipients: int
    status_reason: str | None
    auto_resume: bool
    created_at: datetime
    snapshot_at: datetime | None
    finished_at: datetime | None
    email_json: str
    email_hash: str | None = None  # of the frozen email (None: started before migration 0006)

    @property
    def email(self) -> Email:
        return email_from_json(self.email_json)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATES


def _campaign(row: Any) -> Campaign:
    return Campaign(
        id=row.id,
        issue_id=row.issue_id,
        status=CampaignState(row.status),
        list_id=row.list_id,
        interests=tuple(row.interests or ()),
        subject=row.subject,
        transport=row.transport,
        recipients=row.recipients,
        status_reason=row.status_reason,
        auto_resume=bool(row.auto_resume),
        created_at=row.created_at,
        snapshot_at=row.snapshot_at,
        finished_at=row.finished_at,
        email_json=row.email_json,
        email_hash=row.email_hash,
    )


def get_campaign(engine: Engine, issue_or_id: str | int) -> Campaign | None:
    column = campaigns.c.id if isinstance(issue_or_id, int) else campaigns.c.issue_id
    with read_connection(engine) as connection:
        row = connection.execute(select(campaigns).where(column == issue_or_id)).first()
    return _campaign(row) if row else None


def campaign_status(engine: Engine, campaign_id: int) -> CampaignState | None:
    """Just the status (cheap: checked by every worker before each batch)."""
    with read_connection(engine) as connection:
        value = connection.execute(
            select(campaigns.c.status).where(campaigns.c.id == campaign_id)
        ).scalar()
    return None if value is None else CampaignState(value)


def list_campaigns(engine: Engine) -> list[Campaign]:
    with read_connection(engine) as connection:
        rows = connection.execute(select(campaigns).order_by(campaigns.c.id)).all()
    return [_campaign(row) for row in rows]


def start_campaign(engine: Engine, email: Email, *, transport: str, now: datetime) -> Campaign:
    """The campaign for ``email.issue_id``, created (email frozen) if it does not exist yet.

    An existing campaign is returned unchanged: its frozen email, not ``email``, is what sends.
    """
    chosen = select(campaigns).where(campaigns.c.issue_id == email.issue_id)
    try:
        with write_transaction(engine) as connection:
            row = connection.execute(chosen).first()
            if row is None:
                connection.execute(
                    insert(campaigns).values(
                        issue_id=email.issue_id,
                        status=CampaignState.SENDING,
                        list_id=email.list_id,
                        interests=list(email.interests),
                        subject=email.subject,
                        email_json=email_to_json(email),
                        email_hash=email_hash(email),
                        transport=transport,
                        recipients=0,
                        auto_resume=False,
                        created_at=now,
                        updated_at=now,
                    )
                )
                row = connection.execute(chosen).one()
    except IntegrityError:
        # another worker created it between our read and our insert (PostgreSQL): use theirs
        with read_connection(engine) as connection:
            row = connection.execute(chosen).one()
    return _campaign(row)


def snapshot_audience(engine: Engine, campaign: Campaign, *, now: datetime) -> int:
    """Queue one delivery per audience member, once; returns the number of recipients."""
    with write_transaction(engine) as connection:
        current = connection.execute(
            select(campaigns.c.snapshot_at, campaigns.c.recipients).where(
                campaigns.c.id == campaign.id
            )
        ).one()
        if current.snapshot_at is not None:
            return int(current.recipients)
        ids = audience_ids(campaign.list_id, campaign.interests or None)
        source = select(
            literal(campaign.id),
            ids.c.id,
            literal(str(DeliveryState.QUEUED)),
            literal(now, type_=deliveries.c.updated_at.type),
        ).select_from(ids)
        connection.execute(
            insert(deliveries).from_select(
                ["campaign_id", "subscriber_id", "status", "updated_at"], source
            )
        )
        count = connection.execute(
            select(func.count()).where(deliveries.c.campaign_id == campaign.id)
        ).scalar_one()
        connection.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign.id)
            .values(snapshot_at=now, recipients=count, updated_at=now)
        )
    return int(count)


def set_status(
    engine: Engine,
    campaign_id: int,
    status: str,
    *,
    now: datetime,
    reason: str | None = None,
    auto_resume: bool = False,
    only_from: Collection[str] | None = None,
) -> bool:
    """Move a campaign to ``status``; with ``only_from``, only from those states.

    ``status`` is a :class:`CampaignState` (or its value). True when the campaign moved.
    """
    condition = [campaigns.c.id == campaign_id]
    if only_from is not None:
        condition.append(campaigns.c.status.in_(sorted(only_from)))
    values: dict[str, Any] = {
        "status": status,
        "status_reason": reason,
        "auto_resume": auto_resume,
        "updated_at": now,
    }
    if status in FINISHED_STATES:
        values["finished_at"] = now
    with write_transaction(engine) as connection:
        result = connection.execute(update(campaigns).where(*condition).values(**values))
    return bool(result.rowcount)


def record_test_send(
    engine: Engine,
    issue_id: str,
    *,
    mode: str,
    transport: str,
    recipients: int,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    """Test and sandbox sends are recorded apart; they never touch the real campaign."""
    with write_transaction(engine) as connection:
        connection.execute(
            insert(test_sends).values(
                issue_id=issue_id,
                mode=mode,
                transport=transport,
                recipients=recipients,
                detail=detail,
                at=now,
            )
        )


def test_send_history(engine: Engine, issue_id: str) -> list[dict[str, Any]]:
    with read_connection(engine) as connection:
        rows = connection.execute(
            select(test_sends).where(test_sends.c.issue_id == issue_id).order_by(test_sends.c.id)
        ).all()
    return [
        {
            "mode": r.mode,
            "transport": r.transport,
            "recipients": r.recipients,
            "at": r.at.isoformat(),
            "detail": r.detail,
        }
        for r in rows
    ]


def campaigns_to_resume(engine: Engine) -> list[Campaign]:
    """Campaigns a scheduled run should carry on with: interrupted, or paused automatically."""
    with read_connection(engine) as connection:
        rows = connection.execute(
            select(campaigns)
            .where(
                or_(
                    campaigns.c.status == CampaignState.SENDING,
                    and_(
                        campaigns.c.status == CampaignState.PAUSED,
                        campaigns.c.auto_resume.is_(True),
                    ),
                )
            )
            .order_by(campaigns.c.id)
        ).all()
    return [_campaign(row) for row in rows]
