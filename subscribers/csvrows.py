"""Reading an import CSV: encoding check, loose column names, one validated row at a time.

Used by :mod:`subscribers.importer`; knows nothing about the database.

The lawful basis comes from an optional ``basis`` column (``consent`` or
``charitable_soft_opt_in``; ``soft opt-in`` is understood too) with, for the soft opt-in,
``basis_context`` (what the person was doing), ``opt_out_evidence`` (the form or script that
offered an opt-out) and ``opt_out_offered_on`` (its date, ``2026-05-10`` or ``10/05/2026``).
Without the column every row is ``consent``; with it, an empty cell or a soft opt-in without
its evidence rejects the row with the reason.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from subscribers.errors import ImportFileError, InvalidAddress, InvalidBasis
from subscribers.models import BASES, CONSENT, SOFT_OPT_IN
from subscribers.records import Basis, normalise_email

MAX_FIELD = 1000
MAX_NAME = 200
SAMPLE = 20

_EMAIL = {"email", "emailaddress", "mail", "emailaddr", "mailaddress"}
_FIRST = {"firstname", "first", "givenname", "forename", "fname"}
_LAST = {"lastname", "surname", "familyname", "last", "lname"}
_INTERESTS = {"interests", "interest", "tags", "topics"}
_ROLES = {
    "interests": _INTERESTS,
    "basis": {"basis", "lawfulbasis"},
    "context": {"basiscontext", "collectedduring", "context", "softoptincontext"},
    "evidence": {"optoutevidence", "optoutreference"},
    "offered_on": {"optoutofferedon", "optoutdate", "optoutoffered"},
}
_BASIS_NAMES = {CONSENT: CONSENT, SOFT_OPT_IN: SOFT_OPT_IN, "soft_opt_in": SOFT_OPT_IN}
_IGNORED = {"status", "lists", "createdat"}  # columns of our own export
_SPLIT = re.compile(r"[;,|]")


@dataclass
class ParsedRow:
    line: int
    raw: list[str]
    email: str
    key: str
    first_name: str | None
    last_name: str | None
    interests: frozenset[str]
    attributes: dict[str, str] = field(default_factory=dict)
    basis: Basis | None = None  # None: the file has no basis column (consent)


@dataclass(frozen=True)
class Columns:
    email: int
    first: int | None
    last: int | None
    interests: int | None
    extra: tuple[tuple[int, str], ...]
    basis: int | None = None
    context: int | None = None
    evidence: int | None = None
    offered_on: int | None = None


def default_rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")


def check_encoding(path: Path) -> None:
    """Raise ImportFileError unless the whole file is valid UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    try:
        with path.open("rb") as handle:
            head = handle.read(2)
            if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
                raise ImportFileError(f"{path}: the file is UTF-16; save it as CSV UTF-8")
            handle.seek(0)
            while chunk := handle.read(1 << 16):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad = chunk[exc.start : exc.start + 1].hex()
                    line += chunk[: exc.start].count(b"\n")
                    raise ImportFileError(
                        f"{path}: not UTF-8 (byte 0x{bad} on line {line}); it is probably "
                        "latin-1 or Windows-1252: save it as 'CSV UTF-8' and import again"
                    ) from None
                line += chunk.count(b"\n")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ImportFileError(f"{path}: not UTF-8 (truncated character at the end)") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: {exc.strerror}") from None


def find_columns(path: Path, header: list[str]) -> Columns:
    found: dict[str, int] = {}
    extra: list[tuple[int, str]] = []
    for index, name in enumerate(header):
        norm = re.sub(r"[^a-z0-9]", "", name.lower())
        for role, names in (("email", _EMAIL), ("first", _FIRST), ("last", _LAST)):
            if norm in names and role not in found:
                found[role] = index
                break
        else:
            other = next((r for r, names in _ROLES.items() if norm in names), None)
            if other is not None and other not in found:
                found[other] = index
            elif norm and norm not in _IGNORED | _EMAIL | _FIRST | _LAST:
                extra.append((index, name.strip()[:64]))
    if "email" not in found:
        shown = ", ".join(repr(name) for name in header[:10]) or "none"
        raise ImportFileError(f"{path}: no email column (columns found: {shown}); name one 'email'")
    return Columns(
        found["email"],
        found.get("first"),
        found.get("last"),
        found.get("interests"),
        tuple(extra),
        found.get("basis"),
        found.get("context"),
        found.get("evidence"),
        found.get("offered_on"),
    )


def parse_row(
    line: int,
    raw: list[str],
    cols: Columns,
    extra_interests: frozenset[str],
    allowed: Collection[str] | None,
) -> ParsedRow:
    """One row, or ValueError with the reason it is rejected."""
    for value in raw:
        if len(value) > MAX_FIELD:
            raise ValueError(f"a field is longer than {MAX_FIELD} characters")

    def cell(index: int | None) -> str:
        return raw[index].strip() if index is not None and index < len(raw) else ""

    address = cell(cols.email)
    if not address:
        raise ValueError("no email address")
    try:
        email, key = normalise_email(address)
    except InvalidAddress as exc:
        raise ValueError(f"invalid email address: {exc}") from None
    first, last = cell(cols.first), cell(cols.last)
    if len(first) > MAX_NAME or len(last) > MAX_NAME:
        raise ValueError(f"a name is longer than {MAX_NAME} characters")
    interests = {i.strip().lower() for i in _SPLIT.split(cell(cols.interests)) if i.strip()}
    if allowed is not None:
        unknown = sorted(interests - set(allowed))
        if unknown:
            raise ValueError(
                f"unknown interest {unknown[0]!r}; known: {', '.join(sorted(allowed))}"
            )
    attributes = {name: cell(index) for index, name in cols.extra if cell(index)}
    basis = None
    if cols.basis is not None:
        offered = cell(cols.offered_on)
        basis = parse_basis(cell(cols.basis), cell(cols.context), cell(cols.evidence), offered)
    return ParsedRow(
        line,
        raw,
        email,
        key,
        first or None,
        last or None,
        frozenset(interests | extra_interests),
        attributes,
        basis,
    )


def parse_basis(kind: str, context: str, evidence: str, offered_on: str) -> Basis:
    """The lawful basis of a row, or ValueError with the reason it is rejected."""
    name = _BASIS_NAMES.get(re.sub(r"[^a-z0-9]+", "_", kind.lower()).strip("_"))
    if name is None:
        shown = repr(kind) if kind else "empty"
        raise ValueError(f"basis is {shown}; expected {' or '.join(BASES)}")
    if name == CONSENT:
        return Basis()
    try:
        return Basis(name, context or None, evidence or None, _date(offered_on))
    except InvalidBasis as exc:
        raise ValueError(str(exc)) from None


def _date(text: str) -> date | None:
    """``2026-05-10`` or ``10/05/2026`` (day first, as UK spreadsheets write it)."""
    if not text:
        return None
    parts = text.split("/")
    try:
        if len(parts) == 3 and all(part.isdigit() for part in parts):
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"opt_out_offered_on {text!r} is not a date like 2026-05-10 or 10/05/2026")


def iter_rows(path: Path, reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(first line of the row, fields); a broken CSV structure is an ImportFileError."""
    line = reader.line_num + 1
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(f"{path}:{line}: {exc}; rows before it were imported") from None
        yield line, raw
        line = reader.line_num + 1


class RejectsFile:
    """The rejects CSV, created on the first rejected row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.header: list[str] = ["line", "reason"]
        self.count = 0
        self.sample: list[tuple[int, str]] = []  # the first SAMPLE rejects, for the summary
        self._handle: TextIO | None = None
        self._writer: Any = None

    def __enter__(self) -> RejectsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()

    def write(self, line: int, reason: str, raw: list[str]) -> None:
        if self._writer is None:
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(self.header)
        self._writer.writerow([line, reason, *raw])
        self.count += 1
        if len(self.sample) < SAMPLE:
            self.sample.append((line, reason))
