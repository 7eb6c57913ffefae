from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from subscribers.errors import ImportFileError
from subscribers.exporter import count_subscribers, export_csv, safe_cell
from subscribers.importer import import_csv
from subscribers.keys import AddressHasher
from subscribers.privacy import forget
from subscribers.store import (
    Consent,
    get_by_email,
    is_active_for,
    mark_bounced,
    subscribe,
    unsubscribe,
)

DATA = Path(__file__).parents[1] / "data" / "subscribers"
HASHER = AddressHasher([b"k" * 32])
INTERESTS = {"secondary", "lobular", "trials", "prevention"}


def run_import(engine: Engine, tmp_path: Path, name: str, **kwargs: object) -> object:
    path = tmp_path / name
    shutil.copyfile(DATA / name, path)
    options: dict[str, object] = {"hasher": HASHER, "who": "test", "allowed_interests": INTERESTS}
    options.update(kwargs)
    return import_csv(engine, path, "research-news", **options)  # type: ignore[arg-type]


def rejects(tmp_path: Path, name: str) -> list[tuple[str, str]]:
    path = tmp_path / name.replace(".csv", ".rejects.csv")
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["line"], row["reason"]) for row in csv.DictReader(handle)]


def test_good_file_lands_every_row(engine: Engine, tmp_path: Path) -> None:
    summary = run_import(engine, tmp_path, "good.csv")
    assert summary.as_dict()["added"] == 3  # type: ignore[attr-defined]
    ann = get_by_email(engine, "ann@example.org")
    assert ann is not None
    assert (ann.first_name, ann.last_name, ann.status) == ("Ann", "Archer", "active")
    assert ann.interests == {"secondary", "trials"}
    assert ann.attributes == {"Branch": "Leeds"}


def test_reimporting_the_same_file_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, tmp_path, "good.csv")
    again = run_import(engine, tmp_path, "good.csv")
    assert again.as_dict() == {  # type: ignore[attr-defined]
        "added": 0,
        "updated": 0,
        "unchanged": 3,
        "rejected": 0,
        "suppressed": 0,
        "rejects_path": None,
        "sample_rejects": [],
    }


def test_interests_option_is_added_to_every_row(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, tmp_path, "good.csv", interests=["prevention"])
    bob = get_by_email(engine, "bob@example.org")
    assert bob is not None
    assert bob.interests == {"prevention"}


@pytest.mark.parametrize(
    ("name", "added", "rejected", "reasons"),
    [
        ("bom.csv", 1, 0, []),
        ("invalid_addresses.csv", 1, 3, [("3", "invalid email"), ("4", "invalid"), ("5", "inv")]),
        ("duplicates.csv", 2, 1, [("3", "duplicate of line 2")]),
        ("long_fields.csv", 1, 2, [("3", "longer than"), ("4", "longer than")]),
        ("quoted_newlines.csv", 2, 1, [("4", "invalid email")]),
    ],
)
def test_bad_input_rows_are_rejected_with_line_and_reason(
    engine: Engine,
    tmp_path: Path,
    name: str,
    added: int,
    rejected: int,
    reasons: list[tuple[str, str]],
) -> None:
    summary = run_import(engine, tmp_path, name).as_dict()  # type: ignore[attr-defined]
    assert (summary["added"], summary["rejected"]) == (added, rejected)
    found = rejects(tmp_path, name)
    assert [line for line, _ in found] == [line for line, _ in reasons]
    for (_, reason), (_, expected) in zip(found, reasons, strict=True):
        assert expected in reason


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("latin1.csv", "not UTF-8 (byte 0xeb on line 3)"),
        ("no_email_column.csv", "no email column (columns found: 'name', 'phone')"),
    ],
)
def test_unreadable_file_is_refused_and_nothing_lands(
    engine: Engine, tmp_path: Path, name: str, message: str
) -> None:
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_import(engine, tmp_path, name)
    assert count_subscribers(engine).by_status == {}


@pytest.mark.parametrize("how", ["unsubscribed", "list-unsubscribed", "bounced", "forgotten"])
def test_suppressed_address_is_skipped_not_reactivated(
    engine: Engine, tmp_path: Path, how: str
) -> None:
    subscribe(
        engine,
        "ann@example.org",
        "research-news",
        consent=Consent("staff"),
        hasher=HASHER,
        who="t",
        confirmed=True,
    )
    if how == "unsubscribed":
        unsubscribe(engine, "ann@example.org", who="t")
    elif how == "list-unsubscribed":
        unsubscribe(engine, "ann@example.org", "research-news", who="t")
    elif how == "bounced":
        mark_bounced(engine, "ann@example.org", who="t")
    else:
        forget(engine, "ann@example.org", hasher=HASHER, who="t")
    summary = run_import(engine, tmp_path, "good.csv").as_dict()  # type: ignore[attr-defined]
    assert (summary["added"], summary["suppressed"]) == (2, 1)
    assert rejects(tmp_path, "good.csv")[0][1].startswith("suppressed")
    ann = get_by_email(engine, "ann@example.org")
    assert ann is None or not is_active_for(engine, ann.id, "research-news")


def test_unknown_interest_in_a_row_is_rejected(engine: Engine, tmp_path: Path) -> None:
    summary = run_import(engine, tmp_path, "good.csv", allowed_interests={"lobular"})
    assert summary.as_dict()["rejected"] == 1  # type: ignore[attr-defined]
    assert "unknown interest 'secondary'" in rejects(tmp_path, "good.csv")[0][1]


def test_export_neutralises_formulas(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, tmp_path, "formulas.csv")
    out = io.StringIO()
    assert export_csv(engine, out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1][1:3] == ['\'=HYPERLINK("http://evil")', "'+1"]
    assert rows[2][1:3] == ["'@SUM(A1)", "'-2"]


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+44", "'+44"),
        ("-x", "'-x"),
        ("@a", "'@a"),
        ("\tx", "'\tx"),
        ("ok", "ok"),
    ],
)
def test_safe_cell(value: str, safe: str) -> None:
    assert safe_cell(value) == safe


def test_export_filters_by_list_and_status(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, tmp_path, "good.csv")
    unsubscribe(engine, "bob@example.org", who="t")
    out = io.StringIO()
    assert export_csv(engine, out, list_id="research-news", status="active") == 2
    assert "bob@" not in out.getvalue()


def test_stats_count_per_list_and_status(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, tmp_path, "good.csv")
    unsubscribe(engine, "bob@example.org", "research-news", who="t")
    stats = count_subscribers(engine)
    assert stats.by_list == {"research-news": {"active": 2, "unsubscribed": 1}}
