"""Times as people write them: ``send_at: 2026-12-01T09:00`` read in ``newsletter.yaml``'s zone.

With ``timezone: Europe/London`` in the settings, a time without an offset means London time
(GMT in winter, BST in summer). The two hours a year that the clock change makes impossible or
ambiguous are refused with a message naming the offsets to choose from, never guessed. Without
the setting, a time without an offset is left for the schema to refuse.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from mailer.content.source import Loc

_DATE_ONLY = 10  # "2026-12-01": a date without a time is left to the schema


def time_fields(data: Mapping[str, Any]) -> Iterator[Loc]:
    """Where an issue holds times: ``send_at`` and each story's ``embargo_until``."""
    if "send_at" in data:
        yield ("send_at",)
    stories = data.get("stories")
    if isinstance(stories, list):
        for i, story in enumerate(stories):
            if isinstance(story, dict) and "embargo_until" in story:
                yield ("stories", i, "embargo_until")


def naive(value: object) -> datetime | None:
    """``value`` as a datetime when it is written as one without an offset, else ``None``."""
    if not isinstance(value, str) or len(value.strip()) <= _DATE_ONLY:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is None else None


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def in_zone(local: datetime, zone: tzinfo, zone_name: str) -> datetime:
    """``local`` read in ``zone``; ``ValueError`` in the hour that is skipped or repeated."""
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    written = local.isoformat(timespec="minutes")
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
        raise ValueError(
            f"{written} does not exist in {zone_name}: the clocks go forward that night; "
            "pick another time, or write the offset"
        )
    if first.utcoffset() != second.utcoffset():
        raise ValueError(
            f"{written} happens twice in {zone_name}: the clocks go back that night; "
            f"write the offset: {written}{_offset(first)} ({first.tzname()}) or "
            f"{written}{_offset(second)} ({second.tzname()})"
        )
    return first


def utc_text(moment: datetime) -> str:
    """``2026-07-01T08:00:00Z``: the instant in UTC, as people compare it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
