"""Benchmark: the whole-process ``newsletter build`` against the official mjml CLI.

    .venv/bin/python bench/build.py [--runs 21] [--in-process]

Alternates, run for run, a whole ``newsletter build`` of the sample digest (the console script,
as a user runs it) with the official mjml CLI (``node_modules/.bin/mjml``, installed by
``npm ci``) compiling the very ``.mjml`` that build wrote. Prints the median wall time of each
and the median of the per-pair ratios (target: build at least 4x faster than the CLI), twice:
for an unchanged issue (served by the build cache, see ``mailer/render/cache.py``) and with
``--no-cache`` (load, validate, lint, Jinja, MJML via MRML, text and the .eml every time).
Then times the whole-process ``newsletter check`` of every issue in ``newsletters/``, and a
``build`` of the digest in a copy of the project whose story image is a 12-megapixel JPEG
(made here with Pillow): cold (the resized copy deleted before each run, so the photo is
decoded, resized and compressed), warm (``--no-cache``: loaded and rendered again, but the
resized copy is found by its content-hashed name) and fully cached. With
``--in-process`` it also prints the in-process load+render and MJML-only times of the digest
and a 40-story stress issue.

The machine may be shared: repeat the run and report a range, not one figure.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIGEST = "2026-12-secondary-research"
MJML_CLI = ROOT / "node_modules" / ".bin" / "mjml"


def wall_ms(argv: Sequence[str]) -> float:
    """Milliseconds of wall time to run ``argv`` to completion (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
    return (time.perf_counter() - start) * 1000


def median_ms(fn: Callable[[], object], runs: int) -> float:
    """The median milliseconds of ``runs`` calls of ``fn``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def newsletter_exe() -> str:
    """The ``newsletter`` console script beside this interpreter."""
    exe = Path(sys.executable).with_name("newsletter")
    if not exe.exists():
        sys.exit(f"no {exe}: install the project first (pip install -e .)")
    return str(exe)


def bench_build(runs: int, out: Path) -> None:
    """Alternate ``newsletter build`` (cached, then ``--no-cache``) with the mjml CLI."""
    if not MJML_CLI.exists():
        sys.exit(f"no {MJML_CLI}: run npm ci first")
    build = [newsletter_exe(), "--project", str(ROOT), "build", DIGEST, "--out", str(out)]
    wall_ms(build)  # fills the build cache and writes the .mjml the CLI compiles
    mjml = [str(MJML_CLI), str(out / f"{DIGEST}.mjml"), "-o", str(out / "cli.html")]
    wall_ms(mjml)
    print(f"whole process, median of {runs} alternating runs (range in brackets)")
    for label, argv in (
        ("newsletter build (unchanged issue, cached)", build),
        ("newsletter build --no-cache", [*build, "--no-cache"]),
    ):
        ours, theirs = alternate(argv, mjml, runs)
        ratios = [cli / own for own, cli in zip(ours, theirs, strict=True)]
        print(f"  {label:<44}{statistics.median(ours):>8.1f} ms  [{min(ours):.0f}-{max(ours):.0f}]")
        print(
            f"  {'mjml CLI (node) on the same .mjml':<44}{statistics.median(theirs):>8.1f} ms"
            f"  [{min(theirs):.0f}-{max(theirs):.0f}]"
        )
        print(
            f"  {'ratio mjml CLI / newsletter build, median':<44}{statistics.median(ratios):>8.2f}x"
        )


def alternate(
    first: Sequence[str], second: Sequence[str], runs: int
) -> tuple[list[float], list[float]]:
    """Wall times of ``first`` and ``second``, run in turns (who goes first alternates)."""
    a_times: list[float] = []
    b_times: list[float] = []
    for run in range(runs):
        if run % 2 == 0:
            a_times.append(wall_ms(first))
            b_times.append(wall_ms(second))
        else:
            b_times.append(wall_ms(second))
            a_times.append(wall_ms(first))
    return a_times, b_times


def bench_check(runs: int) -> None:
    """Time the whole-process ``newsletter check`` of every issue in ``newsletters/``."""
    check = [newsletter_exe(), "--project", str(ROOT), "check"]
    wall_ms(check)
    times = [wall_ms(check) for _ in range(runs)]
    issues = len(list((ROOT / "newsletters").glob("*.yaml")))
    label = f"newsletter check ({issues} issues, median of {runs})"
    print(f"  {label:<44}{statistics.median(times):>8.1f} ms  [{min(times):.0f}-{max(times):.0f}]")


def photo_project(folder: Path) -> Path:
    """A copy of the project whose digest shows a 4000x3000 JPEG photo."""
    from PIL import Image

    root = folder / "project"
    root.mkdir()
    shutil.copy(ROOT / "newsletter.yaml", root / "newsletter.yaml")
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copytree(ROOT / "newsletters", root / "newsletters")
    size = (4000, 3000)
    channels = (
        Image.linear_gradient("L").resize(size),
        Image.effect_noise(size, 40),
        Image.linear_gradient("L").rotate(90).resize(size),
    )
    Image.merge("RGB", channels).save(root / "newsletters" / "images" / "photo.jpg", quality=92)
    issue = root / "newsletters" / f"{DIGEST}.yaml"
    text = issue.read_text(encoding="utf-8").replace("src: bone-scan.png", "src: photo.jpg")
    issue.write_text(text, encoding="utf-8")
    return root


def bench_image_build(runs: int) -> None:
    """Whole-process ``build`` with a photo to resize: cold, warm and fully cached."""
    with tempfile.TemporaryDirectory() as tmp:
        root = photo_project(Path(tmp))
        source = root / "newsletters" / "images" / "photo.jpg"
        build = [newsletter_exe(), "--project", str(root), "build", DIGEST, "--out", tmp]
        resized = root / "newsletters" / "images" / "resized"

        def cold() -> None:
            for copy in resized.glob("photo-*"):
                copy.unlink()
            wall_ms([*build, "--no-cache"])

        mb = source.stat().st_size / 1024 / 1024
        print(f"build with a 4000x3000 JPEG photo ({mb:.1f} MB), median of {runs}")
        cases = (
            ("cold: photo resized (--no-cache)", cold),
            ("warm: resized copy reused (--no-cache)", partial(wall_ms, [*build, "--no-cache"])),
            ("warm: unchanged issue, build cache", partial(wall_ms, build)),
        )
        for label, run in cases:
            run()
            times = [median_ms(run, 1) for _ in range(runs)]
            print(
                f"  {label:<44}{statistics.median(times):>8.1f} ms"
                f"  [{min(times):.0f}-{max(times):.0f}]"
            )
        (copy,) = resized.glob("photo-*")
        print(f"  resized copy: {copy.name}, {copy.stat().st_size / 1024:.0f} KB")


def bench_in_process(runs: int) -> None:
    """In-process load+render and MJML-only medians of the digest and the stress issue."""
    sys.path.insert(0, str(ROOT))
    from mailer.content.issue import load_issue
    from mailer.render.mjml import compile_mjml
    from mailer.render.view import render_issue, render_mjml
    from mailer.settings import load_project

    project = load_project(ROOT)
    cases = {
        "sample digest": ROOT / "newsletters" / f"{DIGEST}.yaml",
        "40-story stress issue": ROOT / "tests" / "data" / "issues" / "stress-40.yaml",
    }
    print(f"in process, median of {runs} runs")
    print(f"  {'case':<26}{'load+render ms':>16}{'mjml only ms':>14}{'html KB':>10}")
    for name, path in cases.items():
        render_issue(load_issue(path, project), project)  # warm caches (templates compiled)
        total = median_ms(
            partial(lambda p: render_issue(load_issue(p, project), project), path), runs
        )
        source, _ = render_mjml(load_issue(path, project), project)
        mjml_ms = median_ms(partial(compile_mjml, source, templates=project.templates), runs)
        size = render_issue(load_issue(path, project), project).html_bytes / 1024
        print(f"  {name:<26}{total:>16.2f}{mjml_ms:>14.2f}{size:>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=21, help="alternating runs (default 21)")
    parser.add_argument(
        "--in-process", action="store_true", help="also time load+render inside this process"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        bench_build(args.runs, Path(out))
    bench_check(max(5, args.runs // 2))
    bench_image_build(max(5, args.runs // 2))
    if args.in_process:
        bench_in_process(50)


if __name__ == "__main__":
    main()
