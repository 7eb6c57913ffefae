"""Local images: read safely, resized, compressed and written under a content-hashed name.

An issue's ``image: {src: photo.jpg}`` names a file under ``newsletters/images/``. At check,
build and send time :func:`prepare_image` makes the copy the email links to:

- the header is read first (:func:`inspect_image`): no pixel is decoded before the format and
  the size are known, so a decompression bomb or a 100-megapixel photo costs nothing;
- the picture is turned upright (EXIF orientation), scaled down to at most twice its display
  width (sharp on high-density phone screens, never scaled up) and compressed: JPEG at quality
  :data:`QUALITY` (progressive), PNG at zlib's default level; metadata (camera, GPS position)
  is dropped. GIFs are copied as they are, so an animation keeps moving;
- the result is written to ``newsletters/images/resized/<stem>-<key>.<ext>``, where the key is
  a SHA-256 over the source bytes, the target width and the quality. A changed image gets a
  new name, so no mail app or cache shows the old one, and a name that exists is never
  computed twice: a second build (or a send after a check) does not resize again.

The web app serves ``resized/`` with the rest of ``newsletters/images/`` at ``/media/``; keep
the folder with the images (sent emails link to its files for as long as they are read).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image, ImageOps, UnidentifiedImageError

from mailer.errors import ImageError

RESIZED = "resized"
MAX_PIXELS = 40_000_000
MAX_BYTES = 1024 * 1024
QUALITY = 82
KEY_FORMAT = "newsletter-image-1"
# Pillow format → the extension of the copy; these show in every common mail app.
FORMATS = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif"}


@dataclass(frozen=True)
class ImageInfo:
    """What a file's header says: read without decoding a single pixel."""

    format: str
    width: int
    height: int
    bytes: int

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1_000_000


@dataclass(frozen=True)
class Prepared:
    """The copy an email links to: ``name`` is its path under ``newsletters/images/``."""

    name: str
    width: int
    height: int
    bytes: int
    source: ImageInfo
    resized: bool  # False when the copy already existed (or a GIF was copied as it is)


def local_image(src: str) -> bool:
    """Whether ``src`` names a file under ``newsletters/images/`` (not a web address)."""
    return not src.startswith(("http://", "https://"))


def target_width(display_width: int) -> int:
    """The widest copy worth sending: twice the display width, for high-density screens."""
    return 2 * display_width


def inspect_image(path: Path, shown_as: str) -> ImageInfo:
    """The header of the image at ``path``; ``ImageError`` when it cannot go into an email."""
    try:
        size = path.stat().st_size
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # lazy: reads the header only
                kind, (width, height) = image.format or "", image.size
    except Image.DecompressionBombError:
        raise ImageError(
            f"{shown_as} claims far more than {MAX_PIXELS // 1_000_000} megapixels; "
            "scale it down before adding it"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageError(
            f"{shown_as} is not an image that can be read (damaged, or another kind of file "
            "renamed?); save it again as JPEG or PNG"
        ) from None
    if kind not in FORMATS:
        raise ImageError(
            f"{shown_as} is a {kind or 'an unknown'} image, which not every mail app shows "
            "(Outlook); save it as JPEG (photos) or PNG (graphics)"
        )
    info = ImageInfo(kind, width, height, size)
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"{shown_as} is {width}×{height} pixels ({info.megapixels:.1f} megapixels); at "
            f"most {MAX_PIXELS // 1_000_000} megapixels: scale it down before adding it"
        )
    return info


def resized_name(src: str, data: bytes, width: int, kind: str) -> str:
    """``resized/<stem>-<key>.<ext>``: the key covers the bytes, the width and the quality."""
    digest = hashlib.sha256(f"{KEY_FORMAT}\0{width}\0{QUALITY}\0".encode())
    digest.update(data)
    stem = PurePosixPath(src).stem
    return f"{RESIZED}/{stem}-{digest.hexdigest()[:16]}{FORMATS[kind]}"


def prepare_image(images: Path, src: str, display_width: int) -> Prepared:
    """The resized copy of ``images/src`` for an image shown ``display_width`` pixels wide.

    Made once per content, width and quality; later calls find it by name. Raises
    ``ImageError`` for an image that cannot be used and ``OSError`` when it cannot be read.
    """
    path = images / src
    info = inspect_image(path, f"newsletters/images/{src}")
    data = path.read_bytes()
    width = target_width(display_width)
    name = resized_name(src, data, width, info.format)
    target = images / name
    resized = not target.is_file()
    if resized:
        body = _shrink(data, info, width)
        try:
            _write_atomically(target, body)
        except OSError as exc:
            raise ImageError(
                f"cannot write the resized copy newsletters/images/{name}: {exc.strerror or exc}"
            ) from None
    with Image.open(target) as copy:
        out_width, out_height = copy.size
    return Prepared(name, out_width, out_height, target.stat().st_size, info, resized)


def _shrink(data: bytes, info: ImageInfo, width: int) -> bytes:
    if info.format == "GIF":
        return data  # resizing would stop an animation
    with Image.open(io.BytesIO(data)) as opened:
        if info.format == "JPEG":
            opened.draft("RGB", (width, width))  # decode at 1/2, 1/4 or 1/8 scale when it can
        image = ImageOps.exif_transpose(opened)
    icc = image.info.get("icc_profile")
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if info.format == "PNG" else "RGB")
    if image.width > width:
        height = max(1, round(image.height * width / image.width))
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if info.format == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True, icc_profile=icc)
    else:
        image.save(out, "PNG", icc_profile=icc)  # zlib's default: optimize=True is 2x slower
    return out.getvalue()


def _write_atomically(target: Path, body: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
