"""A content-addressed cache of built issues: an unchanged issue is not loaded or rendered again.

Most of a ``newsletter build`` goes into importing and running pydantic, PyYAML, Jinja2,
markdown-it and MRML. When nothing the result depends on has changed, the checked, rendered
``Email`` (and the warnings found on the way) is read from here instead, importing none of them.

The key is a SHA-256 over everything the result is a function of:

- the cache format and the Python version;
- the path problems name the issue by, and the issue file's bytes;
- ``newsletter.yaml``'s bytes;
- every file under ``templates/email/`` (name and bytes);
- the source of the modules that load, lint and render (``mailer/content/``,
  ``mailer/render/``, ``mailer/settings.py``, ``mailer/errors.py``);
- each library on that path: where it is installed and the size and modification time of its
  ``__init__`` (as Python's own bytecode cache judges a source file), so an upgrade is a miss.

Two inputs are outside the issue file: the local images and whether an embargo has lifted.
An entry records a SHA-256 of each image the issue names (or that it is missing) and of each
resized copy the HTML links to (:mod:`mailer.render.images`), and the embargo times; it is used
only while every image still has the same bytes (or is still missing), every copy is still
there and every embargo is still in the future (or not) as it was. Otherwise the issue is
built afresh and the entry replaced.

Entries are JSON files under ``<project>/.cache/newsletter/builds/`` (gitignored), written
atomically (:mod:`mailer.content.diskcache`); an unreadable entry is a miss and a cache that
cannot be written is skipped. Only issues that
pass the check are stored. ``newsletter build --no-cache`` ignores it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from mailer.content.diskcache import CACHE_DIR, cache_folder, library_stamp, read_json, write_json
from mailer.content.files import SETTINGS_FILE
from mailer.errors import Problem
from mailer.render.email import Email

CACHE_FORMAT = "newsletter-build-2"
PACKAGE = Path(__file__).resolve().parents[1]  # mailer/
SOURCES = ("content/*.py", "render/*.py", "settings.py", "errors.py")
LIBRARIES = (
    "pydantic",
    "pydantic_core",
    "email_validator",
    "yaml",
    "jinja2",
    "markupsafe",
    "markdown_it",
    "mdurl",
    "nh3",
    "mjml",
    "PIL",
)
_DATES = ("send_at", "embargo_until")


@dataclass(frozen=True)
class Built:
    """A checked, rendered issue: what ``newsletter build`` writes and prints."""

    path: str
    email: Email | None  # None when the check found errors
    problems: tuple[Problem, ...]
    base_url: str

    @property
    def ok(self) -> bool:
        return self.email is not None


@dataclass(frozen=True)
class Conditions:
    """What else a built issue depends on: local images and embargo times."""

    images: Mapping[str, str]  # path relative to the project root → file_stamp()
    embargoes: tuple[datetime, ...]

    @classmethod
    def observe(
        cls, root: Path, images: Iterable[str], embargoes: Iterable[datetime]
    ) -> Conditions:
        """The conditions now: ``images`` are paths relative to the project ``root``."""
        return cls({path: file_stamp(root / path) for path in images}, tuple(embargoes))

    def hold(self, root: Path, now: datetime, lifted: list[bool]) -> bool:
        """Whether every image and embargo is as it was when ``lifted`` was observed."""
        if self.lifted(now) != lifted:
            return False
        return all(file_stamp(root / path) == stamp for path, stamp in self.images.items())

    def lifted(self, now: datetime) -> list[bool]:
        return [embargo <= now for embargo in self.embargoes]


def file_stamp(path: Path) -> str:
    """The SHA-256 of a file's bytes, or ``"missing"``."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _code_fingerprint() -> bytes:
    digest = hashlib.sha256(f"{CACHE_FORMAT}\0{library_stamp(*LIBRARIES)}\0".encode())
    for pattern in SOURCES:
        for path in sorted(PACKAGE.glob(pattern)):
            digest.update(f"{path.relative_to(PACKAGE)}\0".encode())
            digest.update(path.read_bytes())
    return digest.digest()


class BuildCache:
    """Built issues of the project at ``root``, keyed by the content they were built from."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / CACHE_DIR / "builds"
        self._code: bytes | None = None

    def key(self, issue: Path, shown_as: str) -> str | None:
        """The key of ``issue`` as it is now (``None`` when a file cannot be read)."""
        if self._code is None:
            self._code = _code_fingerprint()
        digest = hashlib.sha256(self._code)
        try:
            digest.update(f"issue {shown_as}\0".encode())
            digest.update(issue.read_bytes())
            digest.update(b"\0settings\0")
            digest.update((self.root / SETTINGS_FILE).read_bytes())
            templates = self.root / "templates" / "email"
            for path in sorted(p for p in templates.rglob("*") if p.is_file()):
                digest.update(f"\0{path.relative_to(templates)}\0".encode())
                digest.update(path.read_bytes())
        except OSError:
            return None
        return digest.hexdigest()

    def load(self, key: str, *, now: datetime) -> Built | None:
        """The entry stored under ``key`` if it still holds at ``now``, else ``None``."""
        data: Any = read_json(self.folder / f"{key}.json")
        try:
            conditions = Conditions(
                data["images"], tuple(datetime.fromisoformat(t) for t in data["embargoes"])
            )
            if not conditions.hold(self.root, now, data["lifted"]):
                return None
            email = dict(data["email"])
            for name in _DATES:
                email[name] = datetime.fromisoformat(email[name]) if email[name] else None
            email["interests"] = tuple(email["interests"])
            return Built(
                data["path"],
                Email(**email),
                tuple(Problem(**problem) for problem in data["problems"]),
                data["base_url"],
            )
        except (ValueError, KeyError, TypeError):
            return None

    def store(self, key: str, built: Built, conditions: Conditions, *, now: datetime) -> None:
        """Keep ``built`` under ``key`` (silently skipped when the folder is not writable)."""
        if built.email is None:
            return
        email = {f.name: getattr(built.email, f.name) for f in fields(Email)}
        for name in _DATES:
            email[name] = email[name].isoformat() if email[name] else None
        data = {
            "path": built.path,
            "email": email,
            "problems": [asdict(problem) for problem in built.problems],
            "base_url": built.base_url,
            "images": dict(conditions.images),
            "embargoes": [embargo.isoformat() for embargo in conditions.embargoes],
            "lifted": conditions.lifted(now),
        }
        write_json(cache_folder(self.root, "builds") / f"{key}.json", data)
