"""The content and render packages import only what their docstrings allow.

import-linter enforces the layers in CI; this test also catches imports made lazily inside a
function, which the docstrings forbid too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.plugins.content import ROOT

FORBIDDEN = {
    "content": ("render", "send", "events", "transports", "web", "cli"),
    "render": ("send", "events", "transports", "web", "cli"),
}


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_stage_imports_no_later_stage(package: str) -> None:
    banned = tuple(f"mailer.{name}" for name in FORBIDDEN[package])
    wrong = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted((ROOT / "mailer" / package).glob("*.py"))
        for module in imported_modules(path)
        if module.startswith(banned)
    }
    assert not wrong, sorted(wrong)


def test_the_check_finds_a_lazy_import(tmp_path: Path) -> None:
    module = tmp_path / "lazy.py"
    module.write_text("def f():\n    from mailer.render.view import render_issue\n")
    assert "mailer.render.view" in imported_modules(module)
