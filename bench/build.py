"""Benchmark: load + validate + render an issue, in process and as a whole `newsletter build`.

    .venv/bin/python bench/build.py [--runs 50]

Prints the median milliseconds for the sample digest and a 40-story stress issue (load,
validate, Jinja, MJML, text), the MJML compilation alone, and the wall time of the whole
`newsletter build` process. Targets: digest < 20 ms in process; build < 400 ms as a process.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailer.content.issue import load_issue  # noqa: E402
from mailer.render.mjml import compile_mjml  # noqa: E402
from mailer.render.view import render_issue, render_mjml  # noqa: E402
from mailer.settings import load_project  # noqa: E402


def median_ms(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    project = load_project(ROOT)
    cases = {
        "sample digest": ROOT / "newsletters" / "2026-12-secondary-research.yaml",
        "40-story stress issue": ROOT / "tests" / "data" / "issues" / "stress-40.yaml",
    }
    print(f"{'case':<28}{'load+render ms':>16}{'mjml only ms':>14}{'html KB':>10}")
    for name, path in cases.items():
        render_issue(load_issue(path, project), project)  # warm caches (templates compiled)
        total = median_ms(lambda p=path: render_issue(load_issue(p, project), project), args.runs)
        source, _ = render_mjml(load_issue(path, project), project)
        mjml_ms = median_ms(
            lambda s=source: compile_mjml(s, templates=project.templates), args.runs
        )
        size = render_issue(load_issue(path, project), project).html_bytes / 1024
        print(f"{name:<28}{total:>16.2f}{mjml_ms:>14.2f}{size:>10.1f}")

    exe = Path(sys.executable).with_name("newsletter")
    walls = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(max(5, args.runs // 5)):
            start = time.perf_counter()
            subprocess.run(
                [
                    str(exe),
                    "--project",
                    str(ROOT),
                    "build",
                    "2026-12-secondary-research",
                    "--out",
                    out,
                ],
                check=True,
                capture_output=True,
            )
            walls.append((time.perf_counter() - start) * 1000)
    print(f"{'newsletter build (process)':<28}{statistics.median(walls):>16.1f} ms wall (median)")


if __name__ == "__main__":
    main()
