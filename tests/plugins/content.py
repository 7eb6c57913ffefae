"""Fixtures for content and rendering tests: the real project and its sample issues."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mailer.settings import Project, load_project

ROOT = Path(__file__).resolve().parents[2]
ISSUE_DATA = ROOT / "tests" / "data" / "issues"
SAMPLES = sorted((ROOT / "newsletters").glob("*.yaml"))


@pytest.fixture(scope="session")
def project() -> Project:
    """The repository's own project: newsletter.yaml, templates/, newsletters/."""
    return load_project(ROOT)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A throwaway copy of the project directory that a test may change."""
    target = tmp_path / "project"
    target.mkdir()
    shutil.copy(ROOT / "newsletter.yaml", target / "newsletter.yaml")
    shutil.copytree(ROOT / "templates", target / "templates")
    shutil.copytree(ROOT / "newsletters", target / "newsletters")
    return target
