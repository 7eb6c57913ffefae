"""The values ``newsletter diff`` hands to its report page, its one-line summaries and JSON.

:class:`DiffReport` holds one :class:`IssueDiff` per compared issue: whether the email
supporters get changed, what changed (:class:`~mailer.render.changes.Change`), a unified diff
of the plain-text part and the screenshots taken of each side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mailer.render.changes import Change
from mailer.render.revision import Revision

Status = Literal["changed", "new", "deleted", "unchanged"]
SideName = Literal["before", "after"]


@dataclass(frozen=True)
class Shot:
    """One screenshot: which side, which view, and its file relative to the report."""

    side: SideName
    view: str
    file: str


@dataclass(frozen=True)
class IssueDiff:
    """One issue compared between the revision (before) and the working tree (after)."""

    issue_id: str
    status: Status
    path: str
    subject: str
    changes: tuple[Change, ...] = ()
    text_diff: str = ""
    problems_before: tuple[str, ...] = ()
    problems_after: tuple[str, ...] = ()
    shots: tuple[Shot, ...] = ()

    @property
    def text_lines(self) -> tuple[int, int]:
        """Lines added and removed in the plain-text part."""
        lines = self.text_diff.splitlines()
        added = sum(1 for x in lines if x.startswith("+") and not x.startswith("+++"))
        removed = sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))
        return added, removed

    def summary(self) -> str:
        """What changed, in a few words (the rest is in the report)."""
        if self.status == "unchanged":
            return "renders as before"
        parts = [str(change) for change in self.changes[:3]]
        if len(self.changes) > 3:
            parts.append(f"{len(self.changes) - 3} more")
        added, removed = self.text_lines
        if added or removed:
            parts.append(f"text +{added} -{removed}")
        if self.problems_after:
            parts.append(f"cannot render now: {self.problems_after[0]}")
        return "; ".join(parts) or "the HTML differs"

    def as_dict(self) -> dict[str, object]:
        shots: dict[str, dict[str, str]] = {}
        for shot in self.shots:
            shots.setdefault(shot.side, {})[shot.view] = shot.file
        return {
            "id": self.issue_id,
            "status": self.status,
            "path": self.path,
            "subject": self.subject,
            "summary": self.summary(),
            "changes": [change.as_dict() for change in self.changes],
            "text_diff": self.text_diff,
            "problems": {"before": list(self.problems_before), "after": list(self.problems_after)},
            "screenshots": shots,
        }


@dataclass(frozen=True)
class DiffReport:
    """Every compared issue, the revision compared with, and where the report page is."""

    revision: Revision
    issues: tuple[IssueDiff, ...]
    page: str
    browser_note: str | None = None  # why there are no screenshots, when there are none

    @property
    def changed(self) -> tuple[IssueDiff, ...]:
        return tuple(issue for issue in self.issues if issue.status != "unchanged")

    def as_dict(self) -> dict[str, object]:
        return {
            "revision": self.revision.as_dict(),
            "report": self.page,
            "screenshots": any(issue.shots for issue in self.issues),
            "note": self.browser_note,
            "changed": len(self.changed),
            "issues": [issue.as_dict() for issue in self.issues],
        }
