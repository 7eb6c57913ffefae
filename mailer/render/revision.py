"""The git side of ``newsletter diff``: which revision to compare with, and its files.

The one module that runs ``git``. It only reads: the "before" project is exported with
``git archive`` into a folder the caller owns, so the user's working tree, index and branches
are never touched. Every failure is a :class:`~mailer.errors.DiffError` in one line.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from mailer.content.files import NEWSLETTERS, SETTINGS_FILE
from mailer.errors import DiffError

# What a project's emails are made of; the rest of a repository does not change an email.
PROJECT_PARTS = (SETTINGS_FILE, NEWSLETTERS, "templates")
# Tried in order for the default revision: the merge base of HEAD with the first that exists.
DEFAULT_BRANCHES = ("origin/HEAD", "main", "master")


@dataclass(frozen=True)
class Revision:
    """A commit to compare with: as the user named it (or how it was chosen) and its hash."""

    name: str
    commit: str

    @property
    def short(self) -> str:
        return self.commit[:7]

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "commit": self.commit, "short": self.short}


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    except FileNotFoundError:
        raise DiffError("git is not installed; newsletter diff compares git revisions") from None


def _out(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stdout.decode("utf-8", "replace").strip()


def project_prefix(root: Path) -> str:
    """Where the project lies inside its git repository ('' at the top, else 'sub/dir/')."""
    result = _git(root, "rev-parse", "--show-prefix")
    if result.returncode != 0:
        raise DiffError(
            f"{root} is not in a git repository; newsletter diff compares git revisions"
        )
    return _out(result)


def _commit(root: Path, name: str) -> str | None:
    result = _git(
        root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}"
    )
    return _out(result) if result.returncode == 0 else None


def is_commit(root: Path, name: str) -> bool:
    """Whether ``name`` names a commit of the repository at ``root``."""
    return _commit(root, name) is not None


def resolve_revision(root: Path, name: str | None) -> Revision:
    """The commit ``name`` names; by default the merge base of HEAD with the default branch.

    The default branch is ``origin/HEAD``, else ``main``, else ``master``; without any (or with
    no common history) the comparison is with ``HEAD``.
    """
    project_prefix(root)  # not a repository: say so before anything else
    if name is not None:
        commit = _commit(root, name)
        if commit is None:
            raise DiffError(f"unknown revision {name!r}: not a commit in this repository")
        return Revision(name, commit)
    head = _commit(root, "HEAD")
    if head is None:
        raise DiffError("the repository has no commits yet; commit once, then compare with it")
    for branch in DEFAULT_BRANCHES:
        if _commit(root, branch) is None:
            continue
        base = _git(root, "merge-base", "HEAD", branch)
        if base.returncode == 0:
            return Revision(f"merge-base HEAD {branch}", _out(base))
    return Revision("HEAD", head)


def _inside(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """Tar's "data" filter, skipping (not failing on) a link that points outside the copy."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


def export_project(root: Path, revision: Revision, dest: Path) -> Path:
    """Write the project's files as they were at ``revision`` into ``dest``; returns ``dest``.

    Only ``newsletter.yaml``, ``newsletters/`` and ``templates/`` are exported (what an email
    is made of). A project folder that did not exist at that revision exports nothing.
    """
    tree = f"{revision.commit}:{project_prefix(root)}"
    top = Path(_out(_git(root, "rev-parse", "--show-toplevel")))  # archive paths are relative
    listing = _git(top, "ls-tree", "--name-only", tree)
    present = set(_out(listing).splitlines()) if listing.returncode == 0 else set()
    parts = [part for part in PROJECT_PARTS if part in present]
    dest.mkdir(parents=True, exist_ok=True)
    if not parts:
        return dest
    result = _git(top, "archive", "--format=tar", tree, "--", *parts)
    if result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffError(f"cannot read revision {revision.name}: {reason[0] if reason else '?'}")
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        archive.extractall(dest, filter=_inside)
    return dest
