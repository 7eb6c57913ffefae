"""Shared test set-up. Fixture plugins live in tests/plugins/ and are loaded here, one per area."""

from __future__ import annotations

from pathlib import Path

import pytest

# Plugins may import each other (e.g. tests.plugins.sending uses tests.plugins.sendgrid):
# mark the whole package for assertion rewriting before any of them is imported.
pytest.register_assert_rewrite("tests.plugins")

pytest_plugins = sorted(
    f"tests.plugins.{path.stem}"
    for path in (Path(__file__).parent / "plugins").glob("*.py")
    if path.stem != "__init__"
)
