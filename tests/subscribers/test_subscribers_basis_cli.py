"""``newsletter subscribers suppress``, ``show`` with the lawful basis, consent-only imports."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mailer.cli import cli

Invoke = Callable[..., Result]
ROOT = Path(__file__).parents[2]
DATA = Path(__file__).parents[1] / "data" / "subscribers"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The sample project, with its ``appeals`` list restricted to consent."""
    settings = (ROOT / "newsletter.yaml").read_text(encoding="utf-8")
    marker = "    description: Occasional emails asking for your support.\n"
    assert marker in settings
    settings = settings.replace(marker, marker + "    consent_only: true\n")
    (tmp_path / "newsletter.yaml").write_text(settings, encoding="utf-8")
    shutil.copyfile(DATA / "basis.csv", tmp_path / "basis.csv")
    return tmp_path


@pytest.fixture
def run(project: Path, db_url: str) -> Invoke:
    env = {
        "COLUMNS": "160",
        "NO_COLOR": "1",
        "NEWSLETTER_DATABASE_URL": db_url,
        "NEWSLETTER_SECRET_KEY": "test-secret-key-0123456789abcdef",
        "NEWSLETTER_SECRET_KEY_PREVIOUS": "",
        "NEWSLETTER_DEV_KEY": "",
        "USER": "alice",
        "LOGNAME": "alice",
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--project", str(project), *args], env=env)

    return invoke


def test_suppress_a_non_subscriber_then_the_import_refuses_it(run: Invoke, project: Path) -> None:
    done = run(
        "subscribers", "suppress", "eve@example.org", "--source", "fps",
        "--requested-on", "2026-11-28", "--reference", "FPS-1",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("suppressed eve@example.org (fps request of 2026-11-28, actioned")
    assert "future imports and signups of this address are refused" in done.stdout
    imported = run("subscribers", "import", str(project / "basis.csv"), "--list", "research-news")
    assert "suppressed: a Fundraising Preference Service request of 2026-11-28, ref FPS-1" in (
        imported.stdout
    )
    added = run("subscribers", "add", "eve@example.org", "--list", "research-news")
    assert added.exit_code == 1
    assert added.stderr == (
        "error: eve@example.org is suppressed: a Fundraising Preference Service request of "
        "2026-11-28, ref FPS-1 (pass --reopt-in only if the person has opted in again)\n"
    )


def test_suppress_json_and_the_audit_entry(run: Invoke) -> None:
    run("subscribers", "add", "jo@example.org", "--list", "research-news")
    done = run("subscribers", "suppress", "jo@example.org", "--source", "fps", "--json")
    data = json.loads(done.stdout)
    assert (data["source"], data["unsubscribed"], data["already_suppressed"]) == (
        "fps",
        True,
        False,
    )
    audit = json.loads(run("subscribers", "audit", "--action", "suppress", "--json").stdout)
    assert audit[0]["who"] == "os:alice"
    assert audit[0]["detail"].startswith(f"fps request of {data['requested_on']}, actioned ")


def test_a_request_date_in_the_future_is_one_line(run: Invoke) -> None:
    args = ("jo@example.org", "--source", "fps", "--requested-on", "2999-01-01")
    done = run("subscribers", "suppress", *args)
    assert (done.exit_code, done.stderr) == (
        1,
        "error: the request date 2999-01-01 is in the future\n",
    )


def test_show_gives_the_lawful_basis_of_each_list(run: Invoke, project: Path) -> None:
    run("subscribers", "import", str(project / "basis.csv"), "--list", "research-news")
    shown = run("subscribers", "show", "eve@example.org")
    assert shown.exit_code == 0, shown.output
    assert (
        "research-news: charitable_soft_opt_in: donated at the 2026 Race for Life; opt-out "
        "offered 2026-05-10 (RFL-2026 entry form v3 tick box 4)"
    ) in shown.stdout
    data = json.loads(run("subscribers", "show", "dee@example.org", "--json").stdout)
    assert data["lawful_basis"] == {"research-news": {"basis": "consent"}}


def test_an_import_into_a_consent_only_list_rejects_the_soft_opt_in(
    run: Invoke, project: Path
) -> None:
    done = run("subscribers", "import", str(project / "basis.csv"), "--list", "appeals", "--json")
    summary = json.loads(done.stdout)
    assert (summary["added"], summary["rejected"]) == (1, 2)
    assert summary["sample_rejects"][0] == {
        "line": 3,
        "reason": "list appeals takes consent only; this row is charitable_soft_opt_in",
    }
