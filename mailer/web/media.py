"""``/media/{path}``: the images under ``newsletters/images/`` that issues reference.

Only image files strictly inside that folder are served. Every refusal is the same 404, so the
answer never tells whether something exists outside: ``..`` and ``.`` segments (literal or
percent-encoded), absolute paths, backslashes, NUL, hidden files, symlinks that lead out of
the folder, folders, and files of other types. The resized copies under ``resized/`` are named
after their content (:mod:`mailer.render.images`), so they may be cached for good.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from mailer.web.pages import Endpoint

MEDIA_TYPES: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
}

RESIZED_PREFIX = "resized/"
IMMUTABLE = "public, max-age=31536000, immutable"

# An SVG opened on its own is a document: no scripts, no plugins, nothing it can reach.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def resolve_media(root: Path, requested: str) -> Path | None:
    """The file ``requested`` names under ``root``, or ``None`` when it must not be served."""
    if not requested or "\\" in requested or "\x00" in requested:
        return None
    parts = requested.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    if PurePosixPath(requested).is_absolute():
        return None
    if PurePosixPath(parts[-1]).suffix.lower() not in MEDIA_TYPES:
        return None
    try:
        base = root.resolve(strict=True)
        target = root.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not target.is_relative_to(base) or not target.is_file():
        return None
    return target


def media_endpoint(images: Path) -> Endpoint:
    async def media(request: Request) -> Response:
        target = resolve_media(images, request.path_params["path"])
        if target is None:
            raise HTTPException(404)
        requested = request.path_params["path"]
        lasting = requested.startswith(RESIZED_PREFIX)
        headers = {"Cache-Control": IMMUTABLE if lasting else "public, max-age=86400"}
        suffix = target.suffix.lower()
        if suffix == ".svg":
            headers["Content-Security-Policy"] = SVG_POLICY
        return FileResponse(target, media_type=MEDIA_TYPES[suffix], headers=headers)

    return media
