"""What of an invalid issue can still be shown: for the staff preview, never for sending.

``salvage_issue`` takes the YAML of an issue that failed validation and makes the nearest valid
``Issue`` it can: a story with an error is left out, an optional field with an error is
dropped, a required one gets a placeholder in brackets, an unknown list or interest is replaced
or dropped. It names every part it left out or replaced, so the preview can say so beside the
problems. When no story survives, or the file is not a mapping of fields, there is nothing to
show and it returns ``None``. The result is only ever rendered for a person to look at:
``check``, ``build`` and ``send`` go on refusing the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from mailer.content.issue import Issue, Parsed
from mailer.settings import Settings

PLACEHOLDERS: dict[str, object] = {
    "id": "preview",
    "status": "draft",
    "subject": "(subject: see the problems)",
    "intro": "(introduction: see the problems)",
}
OPTIONAL = ("preheader", "send_at", "layout", "call_to_action")
ROUNDS = 4


@dataclass(frozen=True)
class Salvaged:
    """A valid issue made from an invalid one, and what was left out or replaced to get it."""

    issue: Issue
    left_out: tuple[str, ...]


def salvage_issue(parsed: Parsed, settings: Settings) -> Salvaged | None:
    """The nearest valid issue to ``parsed`` (see the module docstring), or ``None``."""
    data = parsed.located.data
    if not isinstance(data, dict):
        return None
    fields: dict[str, Any] = {**data, "source": parsed.path}
    fields.setdefault("id", PLACEHOLDERS["id"])
    left_out: list[str] = []
    _known_references(fields, settings, left_out)
    for _ in range(ROUNDS):
        stories = fields.get("stories")
        if not isinstance(stories, list) or not stories:
            return None
        try:
            return Salvaged(Issue.model_validate(fields), tuple(left_out))
        except ValidationError as exc:
            _mend(fields, [tuple(err["loc"]) for err in exc.errors()], left_out)
    return None


def _mend(fields: dict[str, Any], locs: list[tuple[int | str, ...]], left_out: list[str]) -> None:
    bad_stories: set[int] = set()
    for loc in locs:
        head = loc[0] if loc else None
        if head == "stories" and len(loc) > 1 and isinstance(loc[1], int):
            bad_stories.add(loc[1])
        elif head in PLACEHOLDERS:
            fields[head] = PLACEHOLDERS[head]
            left_out.append(f"{head} (a placeholder is shown)")
        elif isinstance(head, str) and head in fields and head != "stories":
            del fields[head]  # an optional field, or one the schema does not know
            left_out.append(head)
        elif head is None and fields.get("layout") == "appeal":
            fields["layout"] = "digest"  # an appeal with several stories: show them all
            left_out.append("layout (shown as a digest)")
    stories = fields.get("stories")
    if isinstance(stories, list) and bad_stories:
        fields["stories"] = [s for i, s in enumerate(stories) if i not in bad_stories]
        left_out.extend(f"story {i + 1}" for i in sorted(bad_stories))


def _known_references(fields: dict[str, Any], settings: Settings, left_out: list[str]) -> None:
    """An unknown audience list becomes the first list; unknown interests are dropped."""
    audience = fields.get("audience")
    if not isinstance(audience, dict) or audience.get("list") not in settings.list_ids:
        first = settings.lists[0].id
        fields["audience"] = {"list": first}
        left_out.append(f"audience (shown for the list {first!r})")
    elif isinstance(audience.get("interests"), list):
        known = [tag for tag in audience["interests"] if tag in settings.interest_ids]
        fields["audience"] = {**audience, "interests": known}
    stories = fields.get("stories")
    if isinstance(stories, list):
        fields["stories"] = [_known_tags(story, settings) for story in stories]


def _known_tags(story: object, settings: Settings) -> object:
    if isinstance(story, dict) and isinstance(story.get("tags"), list):
        return {**story, "tags": [tag for tag in story["tags"] if tag in settings.interest_ids]}
    return story
