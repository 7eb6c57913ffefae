"""One campaign per id: issue files that share an id are refused together, naming each other.

An id is written as ``id:`` or taken from the file name. When two files have the same id,
whichever sorted first used to be sent; now ``check`` reports an error on each of them and
``send --due`` sends neither (:mod:`mailer.send.plans`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from mailer.content import codes
from mailer.content.issue import Parsed
from mailer.content.source import with_source
from mailer.errors import Problem


def issue_id(parsed: Parsed) -> str | None:
    """The id a file gives its issue (written or from the file name), valid or not."""
    if parsed.issue is not None:
        return parsed.issue.id
    found = parsed.data.get("id") if parsed.data is not None else None
    return found if isinstance(found, str) else None


def duplicate_ids(files: Sequence[Parsed]) -> dict[str, Problem]:
    """path → the error for each file whose id another of ``files`` also has."""
    by_id: dict[str, list[Parsed]] = defaultdict(list)
    for parsed in files:
        found = issue_id(parsed)
        if found is not None:
            by_id[found].append(parsed)
    problems: dict[str, Problem] = {}
    for found, same in by_id.items():
        if len(same) < 2:
            continue
        for parsed in same:
            others = ", ".join(other.path for other in same if other is not parsed)
            written = ("id",) in parsed.located.positions
            line, col = parsed.located.positions.get(("id",), (1, 1))
            origin = "" if written else " (taken from the file name)"
            problem = Problem(
                parsed.path,
                line,
                col,
                "id",
                f"the id {found!r}{origin} is also the id of {others}; each issue needs its "
                "own id, and neither is sent until one is changed",
                code=codes.DUPLICATE_ID,
            )
            problems[parsed.path] = (
                with_source(problem, parsed.located.text) if written else problem
            )
    return problems
