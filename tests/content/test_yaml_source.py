"""YAML with positions: libyaml's parser gives exactly what the pure-Python parser gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.content.source import load_yaml
from tests.plugins.content import ISSUE_DATA, ROOT

FILES = [*sorted(ISSUE_DATA.glob("*.yaml")), *sorted((ROOT / "newsletters").glob("*.yaml"))]
TRICKY = {
    "unicode": 'title: "Café ☕ 🎗️ research"\nsummary: naïve — “quoted” 🎗️: x\nnext: 1\n',
    "crlf": "a: 1\r\nb:\r\n  - x\r\n  - y\r\n",
    "bom": "\ufeffa: 1\nb: 2\n",
    "anchors and merge": "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  z: 3\n",
    "flow and comments": "# c\nlist: [1, 2, {k: v}]  # trailing\nempty:\n",
    "block scalars": "text: |\n  line one\n  line two\nfolded: >-\n  a\n  b\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "dates stay text": "send_at: 2026-12-01T09:00:00Z\nday: 2026-12-01\n",
    "python tag": "x: !!python/object:os.system {}\n",
    "custom tag": "x: !secret [1]\n",
    "syntax error": "a: [1, 2\nb: 3\n",
    "mapping in scalar": "a: b: c\n",
    "tab": "a:\n\t- 1\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "empty": "",
    "only a comment": "# nothing\n",
    "top-level list": "- 1\n- 2\n",
    "deep": "a:\n  b:\n    - c: [1, {d: 2}]\n      e: 3\n",
}


def same(text: str) -> None:
    fast, pure = load_yaml(text, "x.yaml"), load_yaml(text, "x.yaml", libyaml=False)
    assert fast.data == pure.data
    assert fast.positions == pure.positions
    assert fast.problems == pure.problems


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_issue_file_parses_the_same(path: Path) -> None:
    same(path.read_text(encoding="utf-8"))


def test_the_settings_file_parses_the_same() -> None:
    same((ROOT / "newsletter.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", TRICKY.values(), ids=list(TRICKY))
def test_tricky_yaml_parses_the_same(text: str) -> None:
    same(text)
