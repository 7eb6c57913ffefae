"""``newsletter subscribers purge-pending``: unconfirmed signups go, everyone else stays."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from mailer.cli import cli
from subscribers.keys import AddressHasher
from subscribers.store import Consent, get_by_email, subscribe

ROOT = Path(__file__).parents[2]
KEY = "test-secret-key-0123456789abcdef"


def _add(engine: Engine, address: str, *, days_ago: int, confirmed: bool) -> None:
    subscribe(
        engine,
        address,
        "research-news",
        consent=Consent(source="web-form", wording="yes please"),
        hasher=AddressHasher((KEY.encode(),)),
        who="test",
        confirmed=confirmed,
        now=datetime.now(UTC) - timedelta(days=days_ago),
    )


def _run(tmp_path: Path, db_url: str, *args: str) -> Result:
    shutil.copyfile(ROOT / "newsletter.yaml", tmp_path / "newsletter.yaml")
    env = {"NEWSLETTER_DATABASE_URL": db_url, "NEWSLETTER_SECRET_KEY": KEY, "COLUMNS": "100"}
    return CliRunner().invoke(
        cli, ["--project", str(tmp_path), "subscribers", "purge-pending", *args], env=env
    )


def test_purges_only_old_unconfirmed_signups(engine: Engine, db_url: str, tmp_path: Path) -> None:
    _add(engine, "old-pending@example.com", days_ago=40, confirmed=False)
    _add(engine, "new-pending@example.com", days_ago=3, confirmed=False)
    _add(engine, "old-active@example.com", days_ago=400, confirmed=True)
    result = _run(tmp_path, db_url)
    assert result.exit_code == 0, result.output
    assert result.stdout == "purged 1 unconfirmed signup(s) older than 30d\n"
    assert get_by_email(engine, "old-pending@example.com") is None
    assert get_by_email(engine, "new-pending@example.com") is not None
    assert get_by_email(engine, "old-active@example.com") is not None


def test_older_than_and_json(engine: Engine, db_url: str, tmp_path: Path) -> None:
    _add(engine, "pending@example.com", days_ago=3, confirmed=False)
    result = _run(tmp_path, db_url, "--older-than", "2d", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"purged": 1, "older_than_seconds": 2 * 86400}


@pytest.mark.parametrize("value", ["30", "d", "-3d", "3y", "thirty days"])
def test_bad_durations_are_a_usage_error(tmp_path: Path, value: str) -> None:
    never_opened = f"sqlite:///{tmp_path / 'absent.db'}"
    result = _run(tmp_path, never_opened, "--older-than", value)
    assert result.exit_code == 2
    assert "is not a duration like 30d" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "absent.db").exists()
