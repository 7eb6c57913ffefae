"""Local images: checked, resized to twice their display width, compressed, content-hashed.

Every image is made here with Pillow in a throwaway project; no big file is committed.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from mailer.cli import cli
from mailer.errors import Problem
from mailer.render.build import build_issue
from mailer.render.cache import Built
from mailer.render.check import check_paths
from mailer.render.images import MAX_BYTES, prepare_image
from mailer.settings import load_project

DIGEST = "2026-12-secondary-research"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MEDIA = "https://news.example.org/media/"


def use_image(project: Path, src: str, *, width: int | None = None) -> None:
    """Point the digest's image at ``src`` (shown ``width`` pixels wide when given)."""
    issue = project / "newsletters" / f"{DIGEST}.yaml"
    text = issue.read_text(encoding="utf-8")
    extra = f"\n      width: {width}" if width else ""
    issue.write_text(text.replace("src: bone-scan.png", f"src: {src}{extra}"), encoding="utf-8")


def photo(size: tuple[int, int]) -> Image.Image:
    """A photo-like picture: a colour gradient with grain, which compresses like a photo."""
    red = Image.linear_gradient("L").resize(size)
    green = Image.effect_noise(size, 40)
    blue = Image.linear_gradient("L").rotate(90).resize(size)
    return Image.merge("RGB", (red, green, blue))


def save(image: Image.Image, path: Path, kind: str, **options: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, kind, **options)
    return path


def build(project: Path) -> Built:
    return build_issue(DIGEST, project, use_cache=False, now=NOW)


def linked_copy(built: Built) -> str:
    """The path under newsletters/images/ that the built HTML's story image links to."""
    assert built.email is not None
    sources = [str(img.attributes["src"]) for img in HTMLParser(built.email.html).css("img")]
    (src,) = [s.removeprefix(MEDIA) for s in sources if s.startswith(MEDIA)]
    return src


def image_problems(project: Path) -> list[Problem]:
    report = check_paths([project / "newsletters" / f"{DIGEST}.yaml"], load_project(project))
    return [p for p in report.problems if p.field.endswith("].image.src")]


@pytest.mark.parametrize(
    ("name", "kind", "options"),
    [("big.jpg", "JPEG", {"quality": 95}), ("big.png", "PNG", {"compress_level": 1})],
)
def test_a_large_image_is_resized_and_the_html_links_the_hashed_copy(
    project_copy: Path, name: str, kind: str, options: dict[str, object]
) -> None:
    images = project_copy / "newsletters" / "images"
    original = save(photo((3000, 2000)), images / name, kind, **options)
    use_image(project_copy, name)
    built = build(project_copy)
    copy = linked_copy(built)
    stem, suffix = name.split(".")
    assert re.fullmatch(rf"resized/{stem}-[0-9a-f]{{16}}\.{suffix}", copy)
    with Image.open(images / copy) as resized:
        assert resized.format == kind
        assert resized.size == (1104, 736)  # twice the 552 px display width
    size = (images / copy).stat().st_size
    assert size < original.stat().st_size // 2
    assert size <= MAX_BYTES
    assert built.problems == ()


def test_the_copy_is_twice_the_width_the_image_is_shown_at(project_copy: Path) -> None:
    save(photo((2000, 1000)), project_copy / "newsletters" / "images" / "wide.jpg", "JPEG")
    use_image(project_copy, "wide.jpg", width=300)
    copy = linked_copy(build(project_copy))
    with Image.open(project_copy / "newsletters" / "images" / copy) as resized:
        assert resized.size == (600, 300)


def test_a_second_build_does_not_resize_again(project_copy: Path) -> None:
    images = project_copy / "newsletters" / "images"
    save(photo((2400, 1600)), images / "big.jpg", "JPEG")
    use_image(project_copy, "big.jpg")
    copy = images / linked_copy(build(project_copy))
    made = copy.stat().st_mtime_ns
    os.utime(copy, ns=(made - 10**9, made - 10**9))  # so a rewrite would surely show
    assert linked_copy(build(project_copy)) == copy.relative_to(images).as_posix()
    assert copy.stat().st_mtime_ns == made - 10**9
    assert prepare_image(images, "big.jpg", 552).resized is False


def test_a_changed_image_gets_a_new_name(project_copy: Path) -> None:
    images = project_copy / "newsletters" / "images"
    save(photo((1600, 900)), images / "big.jpg", "JPEG")
    use_image(project_copy, "big.jpg")
    first = linked_copy(build_issue(DIGEST, project_copy, now=NOW))  # through the build cache
    save(photo((1600, 900)).rotate(180), images / "big.jpg", "JPEG")
    second = linked_copy(build_issue(DIGEST, project_copy, now=NOW))
    assert first != second
    assert (images / first).is_file()  # sent emails keep linking to the old copy
    assert (images / second).is_file()


def test_an_image_narrower_than_its_display_width_warns(project_copy: Path) -> None:
    save(photo((400, 300)), project_copy / "newsletters" / "images" / "small.jpg", "JPEG")
    use_image(project_copy, "small.jpg")
    (problem,) = image_problems(project_copy)
    assert problem.severity == "warning"
    assert problem.message == (
        "newsletters/images/small.jpg is 400 pixels wide but shown 552 wide, so it will look "
        "blurry; use one at least 552 (ideally 1104) pixels wide, or set image.width: 400"
    )


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` but holds no pixels: decoding it fails."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))


def test_over_40_megapixels_is_an_error_judged_without_decoding(project_copy: Path) -> None:
    images = project_copy / "newsletters" / "images"
    (images / "huge.png").write_bytes(png_header_only(8000, 6000))
    use_image(project_copy, "huge.png")
    (problem,) = image_problems(project_copy)
    assert problem.severity == "error"
    assert problem.message == (
        "newsletters/images/huge.png is 8000×6000 pixels (48.0 megapixels); at most 40 "
        "megapixels: scale it down before adding it"
    )
    assert not (images / "resized").exists() or not list((images / "resized").glob("huge-*"))


def test_over_1_mb_after_resizing_is_an_error(project_copy: Path) -> None:
    noise = Image.frombytes("RGB", (1500, 1000), os.urandom(1500 * 1000 * 3))
    save(noise, project_copy / "newsletters" / "images" / "noise.png", "PNG")
    use_image(project_copy, "noise.png")
    (problem,) = image_problems(project_copy)
    assert problem.severity == "error"
    assert re.fullmatch(
        r"newsletters/images/noise\.png is \d\.\d MB even after resizing to 1104 pixels wide; "
        r"at most 1 MB \(save a photo as JPEG, or crop it\)",
        problem.message,
    )
    assert not build(project_copy).ok


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (
            "Bone-Scan.png",
            "no such image: newsletters/images/Bone-Scan.png; did you mean 'bone-scan.png'? "
            "(capitals matter in file names)",
        ),
        (
            "bone-scn.png",
            "no such image: newsletters/images/bone-scn.png; did you mean 'bone-scan.png'?",
        ),
        (
            "BONESCAN.PNG",
            "no such image: newsletters/images/BONESCAN.PNG; did you mean 'bone-scan.png'?",
        ),
        ("portrait.jpg", "no such image: newsletters/images/portrait.jpg"),
    ],
)
def test_a_missing_image_suggests_the_file_meant(
    project_copy: Path, written: str, expected: str
) -> None:
    use_image(project_copy, written)
    (problem,) = image_problems(project_copy)
    assert (problem.severity, problem.message) == ("error", expected)


def webp() -> bytes:
    out = io.BytesIO()
    photo((600, 400)).save(out, "WEBP")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        (
            "notes.png",
            b"these are not pixels",
            "newsletters/images/notes.png is not an image that can be read (damaged, or another "
            "kind of file renamed?); save it again as JPEG or PNG",
        ),
        (
            "photo.webp",
            None,
            "newsletters/images/photo.webp is a WEBP image, which not every mail app shows "
            "(Outlook); save it as JPEG (photos) or PNG (graphics)",
        ),
        ("plain.jpg", None, "image is not https://; use the secure address"),
    ],
)
def test_unusable_images_are_errors(
    project_copy: Path, name: str, body: bytes | None, expected: str
) -> None:
    if name == "plain.jpg":
        use_image(project_copy, "http://example.org/plain.jpg")
    else:
        (project_copy / "newsletters" / "images" / name).write_bytes(body or webp())
        use_image(project_copy, name)
    (problem,) = image_problems(project_copy)
    assert (problem.severity, problem.message) == ("error", expected)


def test_an_upright_copy_without_metadata(project_copy: Path) -> None:
    images = project_copy / "newsletters" / "images"
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    exif[0x010F] = "Camera Maker"
    save(photo((1600, 1200)), images / "phone.jpg", "JPEG", exif=exif)
    use_image(project_copy, "phone.jpg")
    with Image.open(images / linked_copy(build(project_copy))) as copy:
        assert copy.size == (1104, 1472)
        assert not copy.getexif()


def test_a_gif_is_copied_as_it_is_so_an_animation_keeps_moving(project_copy: Path) -> None:
    images = project_copy / "newsletters" / "images"
    frames = [Image.new("P", (1600, 800), colour) for colour in (1, 2)]
    frames[0].save(images / "wave.gif", save_all=True, append_images=frames[1:], duration=200)
    use_image(project_copy, "wave.gif")
    copy = images / linked_copy(build(project_copy))
    assert copy.suffix == ".gif"
    assert copy.read_bytes() == (images / "wave.gif").read_bytes()


def test_a_deleted_copy_is_made_again_even_for_a_cached_build(project_copy: Path) -> None:
    images = project_copy / "newsletters" / "images"
    save(photo((1600, 900)), images / "big.jpg", "JPEG")
    use_image(project_copy, "big.jpg")
    first = linked_copy(build_issue(DIGEST, project_copy, now=NOW))
    (images / first).unlink()
    assert linked_copy(build_issue(DIGEST, project_copy, now=NOW)) == first
    assert (images / first).is_file()


def test_check_prints_the_image_problem_at_the_src_line(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    use_image(project_copy, "Bone-Scan.png")
    issue = f"newsletters/{DIGEST}.yaml"
    result = CliRunner().invoke(
        cli, ["--project", str(project_copy), "check", str(project_copy / issue)]
    )
    assert result.exit_code == 1
    assert result.output == (
        f"{issue}:47:7: stories[2].image.src: no such image: newsletters/images/Bone-Scan.png; "
        "did you mean 'bone-scan.png'? (capitals matter in file names) [image-missing]\n"
        "          src: Bone-Scan.png\n"
        "          ^\n"
        "1 file checked: 1 error, 0 warnings\n"
    )
