"""Field paths of what changed between two versions of an issue (pure, no git)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.render.changes import field_changes, templates_used
from tests.plugins.content import ROOT

STORY = {"title": "Old", "tags": ["secondary"]}


@pytest.mark.parametrize(
    ("before", "after", "said"),
    [
        ({"subject": "A"}, {"subject": "B"}, ["subject changed"]),
        (
            {"stories": [STORY]},
            {"stories": [{**STORY, "title": "New"}]},
            ["stories[0].title changed"],
        ),
        ({"stories": [STORY]}, {"stories": [STORY, STORY]}, ["stories[1] added"]),
        ({"stories": [STORY, STORY]}, {"stories": [STORY]}, ["stories[1] removed"]),
        ({"preheader": "P"}, {}, ["preheader removed"]),
        ({}, {"call_to_action": {"label": "Give"}}, ["call_to_action added"]),
        (
            {"stories": [STORY]},
            {"stories": [{**STORY, "tags": ["trials"]}]},
            ["stories[0].tags[0] changed"],
        ),
        ({"subject": "A"}, {"subject": "A"}, []),
    ],
    ids=[
        "leaf",
        "nested",
        "item-added",
        "item-removed",
        "key-removed",
        "key-added",
        "list-leaf",
        "same",
    ],
)
def test_each_difference_is_one_path(before: object, after: object, said: list[str]) -> None:
    assert [str(change) for change in field_changes(before, after)] == said


def test_a_changed_value_keeps_both_versions() -> None:
    (change,) = field_changes({"subject": "A"}, {"subject": "B"})
    assert (change.before, change.after) == ("A", "B")


def test_a_layout_uses_its_partials_and_base_but_not_the_other_layout() -> None:
    used = templates_used(ROOT / "templates", ["email/appeal.mjml.j2"])
    assert "email/partials/story.mjml.j2" in used
    assert "email/partials/button.mjml.j2" in used  # through cta.mjml.j2
    assert "email/base.mjml.j2" in used
    assert "email/digest.mjml.j2" not in used


def test_a_template_name_built_at_render_time_counts_every_template(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email/a.j2").write_text('{% include "email/" ~ name %}')
    (tmp_path / "email/b.j2").write_text("b")
    assert templates_used(tmp_path, ["email/a.j2"]) == {"email/a.j2", "email/b.j2"}
