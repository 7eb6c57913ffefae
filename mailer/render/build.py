"""The build step: an issue reference → a checked, rendered ``Email``, from the cache if unchanged.

``build_issue`` is what ``newsletter build`` runs. On a cache hit (:mod:`mailer.render.cache`)
it imports none of the loading and rendering machinery; otherwise it loads the project, checks
and renders the issue with :func:`mailer.render.check.check_paths`, and stores the result when
the issue passed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from mailer.content.files import NEWSLETTERS, display_path, issue_file
from mailer.render.cache import BuildCache, Built, Conditions


def build_issue(
    ref: str, root: Path, *, use_cache: bool = True, now: datetime | None = None
) -> Built:
    """Check and render the issue ``ref`` (a file or an issue id) of the project at ``root``.

    ``Built.email`` is ``None`` when the check found errors; ``Built.problems`` lists every
    problem either way. Raises ``SettingsError`` or ``ContentError`` as loading does.
    """
    now = now or datetime.now(UTC)
    path = issue_file(ref, root / NEWSLETTERS)
    if not use_cache or path is None:
        return _build_afresh(ref, root, now)[0]
    cache = BuildCache(root)
    shown = display_path(path, root)
    key = cache.key(path, shown)
    if key is None:
        return _build_afresh(ref, root, now)[0]
    built = cache.load(key, now=now)
    if built is not None:
        return built
    built, conditions = _build_afresh(ref, root, now)
    if built.email is not None and conditions is not None and cache.key(path, shown) == key:
        cache.store(key, built, conditions, now=now)
    return built


def _build_afresh(ref: str, root: Path, now: datetime) -> tuple[Built, Conditions | None]:
    from mailer.content.issue import find_issue
    from mailer.render.check import check_paths
    from mailer.render.images import RESIZED
    from mailer.settings import load_project

    project = load_project(root)
    report = check_paths([find_issue(ref, project)], project, now=now).files[0]
    email = report.email if report.ok else None
    built = Built(report.path, email, report.problems, project.settings.base_url)
    issue = report.issue
    if issue is None:
        return built, None
    images = [
        f"{NEWSLETTERS}/images/{story.image.src}"  # as the lint finds it: project.images / src
        for story in issue.stories
        if story.image is not None and not story.image.src.startswith(("http://", "https://"))
    ]
    if email is not None:  # the resized copies the HTML links to must stay there
        media = re.escape(f"{project.settings.base_url}/media/{RESIZED}/")
        copies = re.findall(f'{media}([^"?#\\s]+)', email.html)
        images += sorted({f"{NEWSLETTERS}/images/{RESIZED}/{name}" for name in copies})
    embargoes = [story.embargo_until for story in issue.stories if story.embargo_until]
    return built, Conditions.observe(root, images, embargoes)
