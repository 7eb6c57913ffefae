"""``check`` for images: every story image, whether or not the rest of the issue is valid.

``lint_images`` reads the ``image:`` mappings of the YAML as written (so it runs alongside the
schema's errors) and reports, at the line of ``src``:

- an ``http://`` address (error) — https:// images are not fetched;
- a file that is not under ``newsletters/images/`` (error), with "did you mean" for a file
  name in the wrong case or a near miss;
- a file that cannot be read, is not JPEG, PNG or GIF, or has more than 40 megapixels (error,
  judged from the header before any pixel is decoded);
- a copy still over 1 MB after resizing (error);
- an image narrower than its display width (warning: it would be scaled up and look blurry).

Making the resized copy here (:func:`mailer.render.images.prepare_image`) means the render
that follows, and the next build, find it ready.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from mailer.content import codes
from mailer.content.issue import Parsed
from mailer.content.source import Loc, format_loc, with_source
from mailer.errors import ImageError, Problem, Severity
from mailer.render.images import MAX_BYTES, RESIZED, local_image, prepare_image
from mailer.render.view import CONTENT_WIDTH
from mailer.settings import Project


def lint_images(parsed: Parsed, project: Project) -> Iterator[Problem]:
    """Problems with the local images the stories of ``parsed`` name."""
    data = parsed.located.data
    stories = data.get("stories") if isinstance(data, dict) else None
    if not isinstance(stories, list):
        return
    for i, story in enumerate(stories):
        image = story.get("image") if isinstance(story, dict) else None
        src = image.get("src") if isinstance(image, dict) else None
        if not isinstance(src, str) or not src.strip():
            continue
        width = image.get("width") if isinstance(image, dict) else None
        display = width if isinstance(width, int) and 50 <= width <= 600 else None  # as the schema
        found = _image_problems(src.strip(), display or CONTENT_WIDTH, project)
        for severity, message, code in found:
            loc: Loc = ("stories", i, "image", "src")
            line, col = parsed.located.position(loc)
            problem = Problem(parsed.path, line, col, format_loc(loc), message, severity, code)
            yield with_source(problem, parsed.located.text)


_Found = tuple[Severity, str, str]  # severity, message, code


def _image_problems(src: str, display: int, project: Project) -> Iterator[_Found]:
    if src.startswith("http://"):
        yield "error", "image is not https://; use the secure address", codes.NOT_HTTPS
        return
    if not local_image(src) or not _safe(src):
        return  # an https:// image, or a path the schema already refuses
    if not (project.images / src).is_file():
        hint = _did_you_mean(src, project)
        yield "error", f"no such image: newsletters/images/{src}{hint}", codes.IMAGE_MISSING
        return
    try:
        prepared = prepare_image(project.images, src, display)
    except ImageError as exc:
        yield "error", str(exc), codes.IMAGE_UNUSABLE
        return
    except OSError as exc:
        reason = exc.strerror or exc
        yield "error", f"newsletters/images/{src} cannot be read: {reason}", codes.IMAGE_UNUSABLE
        return
    if prepared.bytes > MAX_BYTES:
        yield (
            "error",
            f"newsletters/images/{src} is {prepared.bytes / 1024 / 1024:.1f} MB even after "
            f"resizing to {prepared.width} pixels wide; at most 1 MB (save a photo as JPEG, "
            "or crop it)",
            codes.IMAGE_TOO_BIG,
        )
    if prepared.source.width < display:
        yield (
            "warning",
            f"newsletters/images/{src} is {prepared.source.width} pixels wide but shown "
            f"{display} wide, so it will look blurry; use one at least {display} (ideally "
            f"{2 * display}) pixels wide, or set image.width: {max(prepared.source.width, 50)}",
            codes.IMAGE_BLURRY,
        )


def _safe(src: str) -> bool:
    path = PurePosixPath(src)
    return not path.is_absolute() and ".." not in path.parts and "\\" not in src


def _did_you_mean(src: str, project: Project) -> str:
    names = _image_names(project.images)
    same_but_case = [name for name in names if name.lower() == src.lower()]
    if same_but_case:
        return f"; did you mean '{same_but_case[0]}'? (capitals matter in file names)"
    close = difflib.get_close_matches(src, names, n=1, cutoff=0.6)
    if not close:
        lowered = {name.lower(): name for name in names}
        close = [lowered[m] for m in difflib.get_close_matches(src.lower(), list(lowered), n=1)]
    return f"; did you mean '{close[0]}'?" if close else ""


def _image_names(images: Path) -> list[str]:
    if not images.is_dir():
        return []
    return sorted(
        path.relative_to(images).as_posix()
        for path in images.rglob("*")
        if path.is_file()
        and not path.name.startswith(".")
        and path.relative_to(images).parts[0] != RESIZED
    )
