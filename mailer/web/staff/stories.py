"""Clicks per story: each clicked link mapped to the story it belongs to.

Every link of a story carries the story's ``utm_content`` (its slug,
:func:`mailer.render.view.utm_content`); the call to action carries ``cta`` and the logo
``logo``. Click events record the URL as clicked (per-recipient tokens cut out), so the
``utm_content`` of a recorded URL names its story; the issue file (when it is still there)
turns the slug back into the story's title, in the issue's order. A link without
``utm_content`` (UTM switched off in ``newsletter.yaml``, or a link the author tagged
otherwise) cannot be put to a story: it is grouped on its own, by link, and the page says why.

Clicks here are click events; people are not added up across a story's links (someone who
clicked two links of one story would count twice), so per-story figures are clicks only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from mailer.content.issue import Issue
from mailer.events.report import Link
from mailer.render.view import utm_content

#: ``utm_content`` values the email gives links that are not stories.
NOT_STORIES = {"cta": "Call to action", "logo": "Logo (the charity's website)"}


@dataclass(frozen=True, slots=True)
class StoryClicks:
    key: str  # the utm_content, or the URL of an untagged link
    label: str
    clicks: int
    links: int  # how many distinct links were clicked
    tagged: bool  # False: no utm_content, grouped by link


def tag_of(url: str) -> str | None:
    """The ``utm_content`` of a clicked URL, or None."""
    values = parse_qs(urlsplit(url).query).get("utm_content")
    return values[0] if values and values[0] else None


def clicks_per_story(links: Sequence[Link], issue: Issue | None) -> list[StoryClicks]:
    """The clicks of ``links`` by story (in the issue's order), then the call to action and
    logo, then each link that names no story, most clicked first."""
    titles = {utm_content(story): story.title for story in issue.stories} if issue else {}
    order = {slug: n for n, slug in enumerate(titles)}
    tagged: dict[str, list[int]] = {}
    untagged: list[StoryClicks] = []
    for link in links:
        tag = tag_of(link.url)
        if tag is None:
            untagged.append(StoryClicks(link.url, link.url, link.clicks, 1, tagged=False))
            continue
        counts = tagged.setdefault(tag, [0, 0])
        counts[0] += link.clicks
        counts[1] += 1

    def rank(tag: str) -> tuple[int, int, str]:
        if tag in order:
            return (0, order[tag], tag)
        return (1 if tag in NOT_STORIES else 2, 0, tag)

    rows = [
        StoryClicks(tag, _label(tag, titles), clicks, count, tagged=True)
        for tag, (clicks, count) in sorted(tagged.items(), key=lambda item: rank(item[0]))
    ]
    return rows + sorted(untagged, key=lambda row: (-row.clicks, row.key))


def _label(tag: str, titles: dict[str, str]) -> str:
    if tag in titles:
        return titles[tag]
    if tag in NOT_STORIES:
        return NOT_STORIES[tag]
    return f"story “{tag}”"  # the issue file changed since, or was removed
