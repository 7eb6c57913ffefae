"""The project's cache folder, ``.cache/newsletter/`` (gitignored), and how entries are kept.

Every cache in it is keyed by the content its entries were made from, so an entry is never
stale: the build cache (:mod:`mailer.render.cache`), Jinja2's compiled templates
(:mod:`mailer.render.view`) and the checked sender addresses (:mod:`mailer.settings`).
Entries are written atomically; a folder that cannot be written means no caching, never an
error, and an entry that cannot be read is treated as absent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from importlib.util import find_spec
from pathlib import Path

CACHE_DIR = Path(".cache") / "newsletter"


def cache_folder(root: Path, *parts: str) -> Path:
    """``<root>/.cache/newsletter/<parts…>``, created if possible (it may not exist)."""
    folder = root.joinpath(CACHE_DIR, *parts)
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def library_stamp(*names: str) -> str:
    """A digest of the Python version and where each library is installed, its size and mtime.

    Judged as Python judges a source file for its bytecode cache: installing another version
    rewrites the files, so the stamp changes. Nothing is imported to compute it.
    """
    digest = hashlib.sha256(sys.version.encode())
    for name in names:
        spec = find_spec(name)
        origin = spec.origin if spec is not None else None
        if origin is None or not os.path.exists(origin):
            digest.update(f"\0{name}: missing".encode())
            continue
        stat = os.stat(origin)
        digest.update(f"\0{name}: {origin} {stat.st_size} {stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def read_json(path: Path) -> object:
    """The JSON in ``path``, or ``None`` when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: object) -> None:
    """Replace ``path`` with ``data`` as JSON, atomically; skipped if it cannot be written."""
    import tempfile  # only writing needs it; a cache hit should not pay for its imports

    with contextlib.suppress(OSError):
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False
        ) as out:
            json.dump(data, out, ensure_ascii=False)
        try:
            os.replace(out.name, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(out.name)
