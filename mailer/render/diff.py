"""``newsletter diff``: what supporters would get differently since a git revision.

:func:`diff_revision` exports the project as it was at the revision (:mod:`.revision`),
renders each issue on both sides with the same pipeline as ``newsletter build``, and counts an
issue as changed when its email differs (subject, sender, HTML, text …) or an image it shows
does: so a template, ``newsletter.yaml`` or image change marks every issue it affects. For each
changed issue it finds what changed (:mod:`.changes`), takes screenshots of both sides
(:mod:`.screenshots`) and writes the report page (:mod:`.reviewpage`).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from mailer.content.files import NEWSLETTERS, SETTINGS_FILE, display_path, issue_paths_in
from mailer.content.issue import parse_issue
from mailer.content.source import load_yaml
from mailer.errors import DiffError, RenderError, SettingsError
from mailer.render.changes import Change, digest, field_changes, file_changes, templates_used
from mailer.render.changes import text_diff as unified_text_diff
from mailer.render.email import Email, personalise, substitutions
from mailer.render.review import DiffReport, IssueDiff, Shot, SideName, Status
from mailer.render.reviewpage import render_page
from mailer.render.revision import Revision, export_project, is_commit, resolve_revision
from mailer.render.screenshots import CHROMIUM, VIEWS, Camera, open_camera
from mailer.render.view import render_issue
from mailer.settings import Project, load_project

SHOTS = "screenshots"
SAMPLE_NAME = "Sam"


@dataclass(frozen=True)
class Tree:
    """One version of the project: its settings (or why they failed) and issue files by id."""

    root: Path
    project: Project | None
    problem: str | None
    settings_data: object
    issues: Mapping[str, Path]


@dataclass(frozen=True)
class Side:
    """One issue as one tree renders it."""

    tree: Tree
    path: str
    data: object
    email: Email | None
    problems: tuple[str, ...]
    images: Mapping[str, str | None] = field(default_factory=dict)
    templates: frozenset[str] = frozenset()

    def same_as(self, other: Side) -> bool:
        return (self.email, self.images, self.problems) == (
            other.email,
            other.images,
            other.problems,
        )


def _read_yaml(path: Path, shown: str) -> object:
    try:
        return load_yaml(path.read_text(encoding="utf-8"), shown).data
    except (OSError, UnicodeDecodeError):
        return None


def _local(message: str, root: Path) -> str:
    """A message with paths relative to the project, so both sides word it the same."""
    return message.replace(f"{root.resolve()}/", "").replace(f"{root}/", "")


def load_tree(root: Path) -> Tree:
    """The project at ``root``; invalid settings are kept as a problem, not raised."""
    project: Project | None = None
    problem = None
    try:
        project = load_project(root)
    except SettingsError as exc:
        problem = _local(str(exc.problems[0]) if exc.problems else str(exc), root)
    issues: dict[str, Path] = {}
    for path in issue_paths_in(root / NEWSLETTERS):
        data = _read_yaml(path, path.name)
        ref = data.get("id") if isinstance(data, dict) else None
        issues.setdefault(ref if isinstance(ref, str) and ref else path.stem, path)
    settings = _read_yaml(root / SETTINGS_FILE, SETTINGS_FILE)
    return Tree(root, project, problem, settings, issues)


def render_side(tree: Tree, issue_id: str) -> Side | None:
    """The issue ``issue_id`` rendered from ``tree``; ``None`` when the tree has no such issue."""
    path = tree.issues.get(issue_id)
    if path is None:
        return None
    shown = display_path(path, tree.root)
    project = tree.project
    if project is None:
        problem = tree.problem or "no settings"
        return Side(tree, shown, _read_yaml(path, shown), None, (problem,))
    parsed = parse_issue(path, project)
    problems = [str(p) for p in parsed.problems if p.severity == "error"]
    issue = parsed.issue
    if issue is None:
        return Side(tree, shown, parsed.located.data, None, tuple(problems))
    email = None
    try:
        email = render_issue(issue, project)
    except RenderError as exc:
        problems.append(_local(f"{shown}: cannot render: {exc}", tree.root))
    srcs = [s.image.src for s in issue.stories if s.image and "://" not in s.image.src]
    images = {src: digest(project.images / src) for src in srcs}
    roots = (f"email/{issue.layout}.mjml.j2", "email/text.txt.j2")
    used = frozenset(templates_used(project.templates, roots))
    return Side(tree, shown, parsed.located.data, email, tuple(problems), images, used)


def compare(issue_id: str, before: Side | None, after: Side | None, rev: Revision) -> IssueDiff:
    """What differs between the two sides of one issue (no screenshots yet)."""
    main = after or before
    if main is None:  # pragma: no cover - select_ids only returns ids one side has
        raise DiffError(f"unknown issue {issue_id!r}")
    subject = main.email.subject if main.email else ""
    status: Status = "new" if before is None else "deleted" if after is None else "changed"
    if before is not None and after is not None and before.same_as(after):
        return IssueDiff(issue_id, "unchanged", main.path, subject)
    changes = _what_changed(before, after) if before and after else []
    old = before.email.text if before and before.email else ""
    new = after.email.text if after and after.email else ""
    diff = unified_text_diff(old, new, f"{main.path} at {rev.short}", f"{main.path} now")
    return IssueDiff(
        issue_id,
        status,
        main.path,
        subject,
        tuple(changes),
        diff,
        before.problems if before else (),
        after.problems if after else (),
    )


def _what_changed(before: Side, after: Side) -> list[Change]:
    """Fields of the issue and the settings, and the templates and images the email uses."""
    old, new = before.tree.root, after.tree.root
    return [
        *field_changes(before.data, after.data),
        *field_changes(before.tree.settings_data, after.tree.settings_data, "settings"),
        *file_changes(
            "template", before.templates | after.templates, old / "templates", new / "templates"
        ),
        *file_changes(
            "image",
            [*before.images, *after.images],
            old / NEWSLETTERS / "images",
            new / NEWSLETTERS / "images",
        ),
    ]


def select_ids(before: Tree, after: Tree, refs: Iterable[str], rev: Revision) -> list[str]:
    """The issue ids to compare: those named (by id, file name or path), else every one."""
    known = sorted({*before.issues, *after.issues})
    wanted = list(refs)
    if not wanted:
        return known
    by_name = {p.stem: i for tree in (before, after) for i, p in tree.issues.items()}
    chosen = []
    for ref in wanted:
        found = ref if ref in known else by_name.get(Path(ref).stem)
        if found is None:
            raise DiffError(
                f"unknown issue {ref!r}: not in {NEWSLETTERS}/ now or at {rev.name} "
                f"(known: {', '.join(known) or 'none'})"
            )
        if found not in chosen:
            chosen.append(found)
    return chosen


def _names_issue(tree: Tree, ref: str) -> bool:
    stem = Path(ref).stem
    return ref in tree.issues or any(path.stem == stem for path in tree.issues.values())


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "issue"


def _photograph(
    camera: Camera, issue: IssueDiff, sides: dict[SideName, Side | None], out: Path
) -> IssueDiff:
    shots = []
    for name, side in sides.items():
        if side is None or side.email is None or side.tree.project is None:
            continue
        settings = side.tree.project.settings
        base = settings.base_url
        values = substitutions(SAMPLE_NAME, f"{base}/u/sample", f"{base}/p/sample")
        html = personalise(side.email.html, values)
        images = side.tree.project.images
        media = {f"{base}/media/{p.relative_to(images).as_posix()}": p for p in images.rglob("*")}
        for view in VIEWS:
            file = f"{SHOTS}/{_safe(issue.issue_id)}-{name}-{view.name}.png"
            camera.shoot(html, view, out / file, media)
            shots.append(Shot(name, view.name, file))
    return replace(issue, shots=tuple(shots))


def diff_revision(
    root: Path,
    rev: str | None = None,
    refs: Iterable[str] = (),
    out: Path = Path("diff-report"),
    *,
    screenshots: bool = True,
    chromium: Path = CHROMIUM,
) -> DiffReport:
    """Compare the project at ``root`` with git revision ``rev`` and write ``out/index.html``.

    With ``screenshots`` false, or when ``chromium`` cannot be started (``browser_note`` says
    why), the report holds the text parts only. Raises ``DiffError`` (not a git repository,
    unknown revision or issue) and ``SettingsError`` when the working tree has no
    ``newsletter.yaml``.
    """
    after = load_tree(root)
    refs = list(refs)
    if rev is not None and _names_issue(after, rev) and not is_commit(root, rev):
        refs = [rev, *refs]  # `newsletter diff ISSUE`: compare it with the default revision
        rev = None
    revision = resolve_revision(root, rev)
    if after.project is None and not (root / SETTINGS_FILE).is_file():
        load_project(root)  # raises the usual "no settings file" error
    with tempfile.TemporaryDirectory(prefix="newsletter-diff-") as tmp:
        before = load_tree(export_project(root, revision, Path(tmp) / "before"))
        pairs = [
            (issue_id, render_side(before, issue_id), render_side(after, issue_id))
            for issue_id in select_ids(before, after, refs, revision)
        ]
        diffs = [compare(issue_id, old, new, revision) for issue_id, old, new in pairs]
        note = None
        if screenshots and any(d.status != "unchanged" for d in diffs):
            with open_camera(chromium) as camera:
                if isinstance(camera, str):
                    note = camera
                else:
                    diffs = [
                        d
                        if d.status == "unchanged"
                        else _photograph(camera, d, {"before": old, "after": new}, out)
                        for d, (_, old, new) in zip(diffs, pairs, strict=True)
                    ]
    page = out / "index.html"
    report = DiffReport(revision, tuple(diffs), str(page), note)
    out.mkdir(parents=True, exist_ok=True)
    page.write_text(render_page(report), encoding="utf-8")
    return report
