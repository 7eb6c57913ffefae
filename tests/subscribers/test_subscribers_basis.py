"""The lawful basis of a subscription: consent or the charitable soft opt-in, with evidence."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from mailer.send.campaigns import snapshot_audience
from subscribers.audience import count_audience, iter_audience
from subscribers.errors import InvalidBasis
from subscribers.importer import ImportSummary, import_csv
from subscribers.keys import AddressHasher
from subscribers.privacy import export_data
from subscribers.store import Basis, Consent, get_subscriber, subscribe
from tests.plugins.sendgrid import make_email
from tests.plugins.sending import START, open_test_campaign

DATA = Path(__file__).parents[1] / "data" / "subscribers"
HASHER = AddressHasher([b"k" * 32])
LIST = "research-news"
HEADER = "email,basis,basis_context,opt_out_evidence,opt_out_offered_on"
RACE = Basis(
    "charitable_soft_opt_in",
    "donated at the 2026 Race for Life",
    "RFL-2026 entry form v3 tick box 4",
    date(2026, 5, 10),
)


def land(engine: Engine, path: Path, **kwargs: object) -> ImportSummary:
    return import_csv(engine, path, LIST, hasher=HASHER, who="test", **kwargs)  # type: ignore[arg-type]


def basis_file(tmp_path: Path) -> Path:
    path = tmp_path / "basis.csv"
    shutil.copyfile(DATA / "basis.csv", path)
    return path


def rejected(path: Path) -> list[tuple[str, str]]:
    target = path.with_name(f"{path.stem}.rejects.csv")
    if not target.exists():
        return []
    with target.open(encoding="utf-8", newline="") as handle:
        return [(row["line"], row["reason"]) for row in csv.DictReader(handle)]


def test_a_signup_or_staff_add_is_on_consent(engine: Engine) -> None:
    added = subscribe(
        engine, "ann@example.org", LIST, consent=Consent("web-form"), hasher=HASHER, who="t"
    )
    assert added.bases == {LIST: Basis()}
    assert added.as_dict()["lawful_basis"] == {LIST: {"basis": "consent"}}


def test_an_import_sets_each_rows_basis_with_its_evidence(engine: Engine, tmp_path: Path) -> None:
    summary = land(engine, basis_file(tmp_path))
    assert (summary.added, summary.rejected) == (3, 0)
    assert get_subscriber(engine, "dee@example.org").bases == {LIST: Basis()}
    assert get_subscriber(engine, "eve@example.org").bases == {LIST: RACE}
    fay = get_subscriber(engine, "fay@example.org").bases[LIST]
    assert (fay.kind, fay.opt_out_offered_on) == ("charitable_soft_opt_in", date(2026, 5, 10))


def test_an_import_without_a_basis_column_is_consent(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "good.csv"
    shutil.copyfile(DATA / "good.csv", path)
    land(engine, path)
    assert get_subscriber(engine, "ann@example.org").bases == {LIST: Basis()}


BAD_ROWS = [
    (
        "charitable_soft_opt_in,,RFL-2026 form,2026-05-10",
        "charitable_soft_opt_in needs basis_context: what the person was doing when their "
        "details were collected (e.g. donated at the 2026 Race for Life)",
    ),
    (
        "charitable_soft_opt_in,donated at the Race for Life,,2026-05-10",
        "charitable_soft_opt_in needs opt_out_evidence: a reference to the form or script that "
        "offered an opt-out when the details were collected",
    ),
    (
        "charitable_soft_opt_in,donated at the Race for Life,RFL-2026 form,",
        "charitable_soft_opt_in needs opt_out_offered_on: the date the opt-out was offered",
    ),
    (
        "charitable_soft_opt_in,donated at the Race for Life,RFL-2026 form,31/02/2026",
        "opt_out_offered_on '31/02/2026' is not a date like 2026-05-10 or 10/05/2026",
    ),
    (",,,", "basis is empty; expected consent or charitable_soft_opt_in"),
    (
        "legitimate interest,,,",
        "basis is 'legitimate interest'; expected consent or charitable_soft_opt_in",
    ),
]


@pytest.mark.parametrize(("cells", "reason"), BAD_ROWS)
def test_a_row_without_what_its_basis_needs_is_rejected_with_the_reason_and_good_rows_land(
    engine: Engine, tmp_path: Path, cells: str, reason: str
) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(f"{HEADER}\ngood@example.org,consent,,,\nbad@example.org,{cells}\n")
    summary = land(engine, path)
    assert (summary.added, summary.rejected) == (1, 1)
    assert rejected(path) == [("3", reason)]


def test_consent_replaces_a_soft_opt_in_and_never_the_reverse(engine: Engine) -> None:
    soft = Consent("import", basis=RACE)
    subscribe(engine, "eve@example.org", LIST, consent=soft, hasher=HASHER, who="t", confirmed=True)
    subscribe(engine, "eve@example.org", LIST, consent=Consent("staff"), hasher=HASHER, who="t")
    assert get_subscriber(engine, "eve@example.org").bases == {LIST: Basis()}
    subscribe(engine, "eve@example.org", LIST, consent=soft, hasher=HASHER, who="t")
    assert get_subscriber(engine, "eve@example.org").bases == {LIST: Basis()}


def test_an_import_with_consent_replaces_a_soft_opt_in(engine: Engine, tmp_path: Path) -> None:
    land(engine, basis_file(tmp_path))
    path = tmp_path / "again.csv"
    path.write_text(f"{HEADER}\neve@example.org,consent,,,\n")
    assert land(engine, path).updated == 1
    assert get_subscriber(engine, "eve@example.org").bases == {LIST: Basis()}


def test_a_consent_only_audience_leaves_out_the_soft_opt_in(engine: Engine, tmp_path: Path) -> None:
    land(engine, basis_file(tmp_path))
    everyone = [r.email for r in iter_audience(engine, LIST)]
    consented = [r.email for r in iter_audience(engine, LIST, bases=("consent",))]
    assert everyone == ["dee@example.org", "eve@example.org", "fay@example.org"]
    assert consented == ["dee@example.org"]
    assert count_audience(engine, LIST, bases=("consent",)) == 1


def test_a_campaign_to_a_consent_only_list_snapshots_only_consent(
    engine: Engine, tmp_path: Path
) -> None:
    land(engine, basis_file(tmp_path))
    email = make_email(list_id=LIST, consent_only=True)
    assert snapshot_audience(engine, open_test_campaign(engine, email), now=START) == 1


def test_an_import_into_a_consent_only_list_rejects_soft_opt_in_rows(
    engine: Engine, tmp_path: Path
) -> None:
    path = basis_file(tmp_path)
    summary = land(engine, path, allowed_bases=("consent",))
    assert (summary.added, summary.rejected) == (1, 2)
    assert rejected(path)[0] == (
        "3",
        "list research-news takes consent only; this row is charitable_soft_opt_in",
    )


def test_the_subject_access_export_shows_the_basis_and_its_evidence(
    engine: Engine, tmp_path: Path
) -> None:
    land(engine, basis_file(tmp_path))
    data = export_data(engine, "eve@example.org")["subscriber"]
    expected = {
        "basis": "charitable_soft_opt_in",
        "context": "donated at the 2026 Race for Life",
        "opt_out_evidence": "RFL-2026 entry form v3 tick box 4",
        "opt_out_offered_on": "2026-05-10",
    }
    assert data["lawful_basis"] == {LIST: expected}
    [record] = data["consents"]
    assert {k: record[k] for k in expected} == expected


@pytest.mark.parametrize(
    "basis",
    [
        {"kind": "legitimate_interest"},
        {"kind": "charitable_soft_opt_in", "context": "donated"},
    ],
)
def test_the_library_refuses_a_basis_it_cannot_stand_behind(basis: dict[str, str]) -> None:
    with pytest.raises(InvalidBasis):
        Basis(**basis)  # type: ignore[arg-type]
