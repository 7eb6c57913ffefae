"""CSV import: stream a file into a list, good rows land, every bad row goes to a rejects CSV.

The file must be UTF-8 (with or without BOM); it is checked before anything is written, so a
latin-1 export from a spreadsheet is refused with a clear message. Column names are matched
loosely (``email`` / ``Email Address`` / ``E-mail``, ``First name`` / ``forename`` …);
``interests`` holds ids separated by ``;`` or ``,``; unknown columns become free-form
attributes. Rows are processed in batches, each in its own write transaction, so memory stays
flat (apart from one integer per address, to catch duplicates across the file).

Suppressed addresses (unsubscribed — from everything or from this list —, bounced, complained,
forgotten, or suppressed on request: the Fundraising Preference Service) are skipped and
counted, never re-activated. Re-importing a file changes nothing.

Each row's lawful basis (see :mod:`subscribers.csvrows`) goes on its subscription and its
consent record; without a ``basis`` column every row is ``consent``. Consent replaces a soft
opt-in the store holds, never the reverse. ``allowed_bases`` (a consent-only list passes
``("consent",)``) rejects rows on another basis with the reason.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, update

from subscribers.audit import record_action
from subscribers.bulk import insert_rows
from subscribers.csvrows import (
    ParsedRow,
    RejectsFile,
    check_encoding,
    default_rejects_path,
    find_columns,
    iter_rows,
    parse_row,
)
from subscribers.db import write_transaction
from subscribers.errors import ImportFileError
from subscribers.importknown import Held, look_up
from subscribers.keys import AddressHasher
from subscribers.models import (
    ACTIVE,
    CONSENT,
    SUPPRESSED_STATUSES,
    UNSUBSCRIBED,
    consents,
    subscriber_interests,
    subscribers,
    subscriptions,
)
from subscribers.records import Consent, consent_row, new_public_id

BATCH_SIZE = 1000


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    suppressed: int = 0
    rejects_path: Path | None = None
    sample_rejects: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "suppressed": self.suppressed,
            "rejects_path": str(self.rejects_path) if self.rejects_path else None,
            "sample_rejects": [{"line": n, "reason": r} for n, r in self.sample_rejects],
        }


def import_csv(
    engine: Engine,
    path: Path,
    list_id: str,
    *,
    hasher: AddressHasher,
    who: str,
    interests: Iterable[str] = (),
    allowed_interests: Collection[str] | None = None,
    consent_source: str | None = None,
    allowed_bases: Collection[str] | None = None,
    rejects_path: Path | None = None,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
) -> ImportSummary:
    """Import ``path`` into ``list_id``; rejected rows are written to ``rejects_path``
    (default ``<name>.rejects.csv`` next to the file) only when there are any."""
    now = now or datetime.now(UTC)
    path = Path(path)
    check_encoding(path)
    extra = frozenset(interests)
    if allowed_interests is not None and extra - set(allowed_interests):
        raise ImportFileError(
            f"unknown interest(s): {', '.join(sorted(extra - set(allowed_interests)))}"
        )
    consent = Consent(source="import", note=f"{path.name}: {consent_source or 'file import'}")
    summary = ImportSummary()
    target = rejects_path or default_rejects_path(path)
    with path.open(encoding="utf-8-sig", newline="") as handle, RejectsFile(target) as rejects:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ImportFileError(f"{path}: the file is empty")
        cols = find_columns(path, header)
        rejects.header = ["line", "reason", *header]
        seen: dict[int, int] = {}
        batch: list[ParsedRow] = []
        for line, raw in iter_rows(path, reader):
            if not any(value.strip() for value in raw):
                continue
            try:
                row = parse_row(line, raw, cols, extra, allowed_interests)
                _check_basis(row, list_id, allowed_bases)
            except ValueError as exc:
                rejects.write(line, str(exc), raw)
                summary.rejected += 1
                continue
            first_line = seen.setdefault(hash(row.key), line)
            if first_line != line:
                rejects.write(line, f"duplicate of line {first_line}", raw)
                summary.rejected += 1
                continue
            batch.append(row)
            if len(batch) >= batch_size:
                _land(engine, batch, list_id, hasher, consent, summary, rejects, now)
                batch = []
        if batch:
            _land(engine, batch, list_id, hasher, consent, summary, rejects, now)
    summary.rejects_path = target if rejects.count else None
    summary.sample_rejects = rejects.sample
    with write_transaction(engine) as connection:
        record_action(
            connection,
            who=who,
            action="import",
            count=summary.added + summary.updated,
            detail=(
                f"{path.name} -> {list_id}: added {summary.added}, updated {summary.updated}, "
                f"unchanged {summary.unchanged}, rejected {summary.rejected}, "
                f"suppressed {summary.suppressed}"
            ),
            now=now,
        )
    return summary


def _check_basis(row: ParsedRow, list_id: str, allowed: Collection[str] | None) -> None:
    """ValueError when the row's basis is not one ``list_id`` takes."""
    kind = row.basis.kind if row.basis else CONSENT
    if allowed is not None and kind not in allowed:
        raise ValueError(
            f"list {list_id} takes {' or '.join(sorted(allowed))} only; this row is {kind}"
        )


def _for_row(consent: Consent, row: ParsedRow) -> Consent:
    """The import's consent record with the row's lawful basis."""
    return consent if row.basis is None else replace(consent, basis=row.basis)


def _land(
    engine: Engine,
    batch: list[ParsedRow],
    list_id: str,
    hasher: AddressHasher,
    consent: Consent,
    summary: ImportSummary,
    rejects: RejectsFile,
    now: datetime,
) -> None:
    with write_transaction(engine) as connection:
        _land_batch(connection, batch, list_id, hasher, consent, summary, rejects, now)


@dataclass(slots=True)
class _NewRows:
    """Rows to insert at the end of a batch, one multi-row insert per table."""

    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    interests: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)

    def join(self, subscriber_id: int, list_id: str, consent: Consent, now: datetime) -> None:
        """A new active subscription to ``list_id``, with its consent record and basis."""
        self.subscriptions.append(_subscription(subscriber_id, list_id, consent, now))
        self.consents.append(consent_row(subscriber_id, list_id, consent, now))

    def add_interests(self, subscriber_id: int, interests: Iterable[str]) -> None:
        self.interests += [
            {"subscriber_id": subscriber_id, "interest_id": i} for i in sorted(interests)
        ]


def _land_batch(
    connection: Connection,
    batch: list[ParsedRow],
    list_id: str,
    hasher: AddressHasher,
    consent: Consent,
    summary: ImportSummary,
    rejects: RejectsFile,
    now: datetime,
) -> None:
    known = look_up(connection, batch, list_id, hasher)
    new = _NewRows()
    to_insert: list[ParsedRow] = []
    for row in batch:
        found = known.existing.get(row.key)
        refusal = known.refusal(row.key)
        if refusal is not None:
            rejects.write(row.line, refusal, row.raw)
            summary.suppressed += 1
            continue
        if found is None:
            if known.erased.intersection(known.hashes[row.key]):
                rejects.write(row.line, "suppressed: forgotten at their request", row.raw)
                summary.suppressed += 1
            else:
                to_insert.append(row)
            continue
        list_status, basis = known.lists.get(found.id, (None, None))
        if found.status in SUPPRESSED_STATUSES or list_status == UNSUBSCRIBED:
            status = found.status if found.status in SUPPRESSED_STATUSES else "unsubscribed"
            rejects.write(row.line, f"suppressed: {status}", row.raw)
            summary.suppressed += 1
            continue
        have = known.interests.get(found.id, set())
        held = Held(list_status, basis, have)
        if _update(connection, row, found, held, list_id, _for_row(consent, row), new, now):
            summary.updated += 1
        else:
            summary.unchanged += 1
    summary.added += _insert_new(connection, to_insert, list_id, consent, new, now)
    for table, rows in (
        (subscriptions, new.subscriptions),
        (subscriber_interests, new.interests),
        (consents, new.consents),
    ):
        if rows:
            insert_rows(connection, table, rows)


def _update(
    connection: Connection,
    row: ParsedRow,
    found: Any,
    held: Held,
    list_id: str,
    consent: Consent,
    new: _NewRows,
    now: datetime,
) -> bool:
    """Bring a subscriber the store holds up to its row; True when anything changed."""
    changes = _changes(row, found, now)
    missing = row.interests - held.interests
    new.add_interests(found.id, missing)
    list_status = held.status
    upgrade = consent.basis.kind == CONSENT and held.basis not in (None, CONSENT)
    if list_status is None:
        new.join(found.id, list_id, consent, now)
    elif list_status != ACTIVE or upgrade:
        # re-activated on the row's basis; or consent replacing a soft opt-in
        basis = consent.basis.columns() if upgrade or list_status != ACTIVE else {}
        mine = subscriptions.c.subscriber_id == found.id, subscriptions.c.list_id == list_id
        connection.execute(
            update(subscriptions).where(*mine).values(status=ACTIVE, updated_at=now, **basis)
        )
        if upgrade:
            new.consents.append(consent_row(found.id, list_id, consent, now))
        changes.setdefault("updated_at", now)
    if changes:
        changes["updated_at"] = now
        connection.execute(
            update(subscribers).where(subscribers.c.id == found.id).values(**changes)
        )
    return bool(changes or missing or list_status != ACTIVE or upgrade)


def _changes(row: ParsedRow, found: Any, now: datetime) -> dict[str, Any]:
    """The subscriber's columns the row changes: names it gives, attributes, activation."""
    changes: dict[str, Any] = {}
    if row.first_name and row.first_name != found.first_name:
        changes["first_name"] = row.first_name
    if row.last_name and row.last_name != found.last_name:
        changes["last_name"] = row.last_name
    merged = {**found.attributes, **row.attributes}
    if merged != found.attributes:
        changes["attributes"] = merged
    if found.status != ACTIVE:
        changes.update(status=ACTIVE, confirmed_at=now)
    return changes


def _insert_new(
    connection: Connection,
    to_insert: list[ParsedRow],
    list_id: str,
    consent: Consent,
    new: _NewRows,
    now: datetime,
) -> int:
    """Insert the new addresses as active subscribers; how many."""
    if not to_insert:
        return 0
    new_ids: dict[str, int] = dict(
        insert_rows(
            connection,
            subscribers,
            [
                {
                    "public_id": new_public_id(),
                    "email": row.email,
                    "email_key": row.key,
                    "first_name": row.first_name,
                    "last_name": row.last_name,
                    "status": ACTIVE,
                    "attributes": row.attributes,
                    "created_at": now,
                    "updated_at": now,
                    "confirmed_at": now,
                }
                for row in to_insert
            ],
            returning=("email_key", "id"),
        )
    )
    for row in to_insert:
        sid = new_ids[row.key]
        new.join(sid, list_id, _for_row(consent, row), now)
        new.add_interests(sid, row.interests)
    return len(to_insert)


def _subscription(
    subscriber_id: int, list_id: str, consent: Consent, now: datetime
) -> dict[str, Any]:
    return {
        "subscriber_id": subscriber_id,
        "list_id": list_id,
        "status": ACTIVE,
        "created_at": now,
        "updated_at": now,
        **consent.basis.columns(),
    }
