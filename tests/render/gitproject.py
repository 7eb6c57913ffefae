"""A throwaway git repository holding a copy of the project, for ``newsletter diff`` tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.plugins.content import ROOT

SECONDARY = "2026-12-secondary-research"
APPEAL = "2026-12-winter-appeal"
OLD_TITLE = "Following breast cancer's route to the brain"
NEW_TITLE = "Mapping <the> route & brain metastases"  # HTML-escaped in the report

_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return its output (fails the test on an error)."""
    result = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def init_repo(project: Path) -> str:
    """Make ``project`` a git repository on ``main`` with one commit; returns its hash."""
    shutil.copy(ROOT / ".gitignore", project / ".gitignore")  # .cache/ stays out, as here
    git(project, "init", "-q", "-b", "main")
    return commit(project, "the project as it is")


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) with ``new`` in a text file."""
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise ValueError(f"{old!r} is not in {path}")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def retitle(project: Path, title: str = NEW_TITLE) -> None:
    """Change the first story's title of the secondary-research issue."""
    edit(project / "newsletters" / f"{SECONDARY}.yaml", OLD_TITLE, title)
