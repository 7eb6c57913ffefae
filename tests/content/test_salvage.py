"""What of an invalid issue the preview can still show (never for sending)."""

from __future__ import annotations

import pytest

from mailer.content.issue import issue_from_text
from mailer.content.salvage import salvage_issue
from mailer.settings import Project

GOOD_STORY = """\
  - kind: news
    title: A good story
    summary: It is fine.
"""


def issue_text(*, head: str = "", stories: str = GOOD_STORY) -> str:
    return (
        "status: draft\nsubject: Hello\naudience:\n  list: research-news\n"
        f"intro: Hi.\n{head}stories:\n{stories}"
    )


def salvage(text: str, project: Project) -> tuple[list[str], tuple[str, ...]] | None:
    parsed = issue_from_text(text, "newsletters/x.yaml", project)
    assert parsed.issue is None  # the file itself is invalid
    salvaged = salvage_issue(parsed, project.settings)
    if salvaged is None:
        return None
    return [story.title for story in salvaged.issue.stories], salvaged.left_out


@pytest.mark.parametrize(
    ("text", "titles", "left_out"),
    [
        (
            issue_text(stories=GOOD_STORY + "  - kind: gossip\n    title: Bad\n    summary: x\n"),
            ["A good story"],
            ("story 2",),
        ),
        (issue_text(head="colour: pink\n"), ["A good story"], ("colour",)),
        (
            issue_text(head="send_at: 2026-12-01T09:00:00\n"),
            ["A good story"],
            ("send_at",),
        ),
        (
            issue_text().replace("subject: Hello\n", ""),
            ["A good story"],
            ("subject (a placeholder is shown)",),
        ),
        (
            issue_text().replace("list: research-news", "list: nobody"),
            ["A good story"],
            ("audience (shown for the list 'research-news')",),
        ),
    ],
)
def test_what_can_be_shown_and_what_was_left_out(
    project: Project, text: str, titles: list[str], left_out: tuple[str, ...]
) -> None:
    assert salvage(text, project) == (titles, left_out)


@pytest.mark.parametrize(
    "text",
    [
        issue_text(stories="  - kind: gossip\n    title: Bad\n    summary: x\n"),
        "status: draft\nsubject: Hello\n",
        "- just\n- a list\n",
    ],
)
def test_nothing_to_show_without_a_valid_story(project: Project, text: str) -> None:
    assert salvage(text, project) is None
