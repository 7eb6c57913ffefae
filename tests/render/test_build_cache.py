"""The build cache: an unchanged issue comes from the cache; any change to an input is a miss."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailer.content.diskcache import CACHE_DIR
from mailer.render.build import build_issue
from mailer.render.cache import Built
from tests.plugins.content import ROOT

DIGEST = "2026-12-secondary-research"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
EMBARGO = "2026-11-25T09:00:00+00:00"


def entries(project: Path) -> list[Path]:
    return sorted((project / CACHE_DIR / "builds").glob("*.json"))


def build(project: Path, now: datetime = NOW, *, use_cache: bool = True) -> Built:
    return build_issue(DIGEST, project, use_cache=use_cache, now=now)


def tamper(project: Path) -> None:
    """Mark the one stored entry, so that a build served from the cache shows it."""
    (entry,) = entries(project)
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["email"]["html"] = "FROM THE CACHE"
    entry.write_text(json.dumps(data), encoding="utf-8")


def test_an_unchanged_issue_is_built_once_then_read_from_the_cache(project_copy: Path) -> None:
    first = build(project_copy)
    assert first.ok
    assert len(entries(project_copy)) == 1
    again = build(project_copy)
    assert again == first  # the same Email, problems and base URL, read back from JSON
    tamper(project_copy)
    assert build(project_copy).email.html == "FROM THE CACHE"  # type: ignore[union-attr]
    assert build(project_copy, use_cache=False) == first


@pytest.mark.parametrize(
    "change",
    [
        "newsletters/2026-12-secondary-research.yaml",
        "newsletter.yaml",
        "templates/email/partials/footer.mjml.j2",
        "templates/email/text.txt.j2",
    ],
)
def test_changing_any_input_file_is_a_miss(project_copy: Path, change: str) -> None:
    build(project_copy)
    tamper(project_copy)
    target = project_copy / change
    target.write_text(target.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    rebuilt = build(project_copy)
    assert rebuilt.ok
    assert rebuilt.email is not None
    assert rebuilt.email.html != "FROM THE CACHE"
    assert len(entries(project_copy)) == 2


def test_the_edited_text_is_what_gets_built(project_copy: Path) -> None:
    issue = project_copy / "newsletters" / f"{DIGEST}.yaml"
    build(project_copy)
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text.replace('subject: "', 'subject: "Edited ', 1), encoding="utf-8")
    built = build(project_copy)
    assert built.email is not None
    assert built.email.subject.startswith("Edited ")


def test_a_missing_image_is_a_miss_and_an_error(project_copy: Path) -> None:
    build(project_copy)
    (project_copy / "newsletters" / "images" / "bone-scan.png").unlink()
    built = build(project_copy)
    assert not built.ok
    assert any(
        "no such image: newsletters/images/bone-scan.png" in p.message for p in built.problems
    )


def test_an_embargo_lifting_is_a_miss(project_copy: Path) -> None:
    issue = project_copy / "newsletters" / f"{DIGEST}.yaml"
    text = issue.read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("send_at:"))
    issue.write_text(  # without send_at, the embargo warns until it lifts
        text.replace("    summary:", f"    embargo_until: {EMBARGO}\n    summary:", 1) + "\n",
        encoding="utf-8",
    )
    before = build(project_copy)
    assert [p.message for p in before.problems if "embargoed" in p.message]
    tamper(project_copy)
    after = build(project_copy, now=datetime.fromisoformat(EMBARGO))
    assert after.email is not None
    assert after.email.html != "FROM THE CACHE"
    assert not [p.message for p in after.problems if "embargoed" in p.message]


def test_an_issue_with_errors_is_not_stored(project_copy: Path) -> None:
    issue = project_copy / "newsletters" / f"{DIGEST}.yaml"
    issue.write_text(issue.read_text(encoding="utf-8") + "unknown_field: 1\n", encoding="utf-8")
    built = build(project_copy)
    assert not built.ok
    assert built.email is None
    assert entries(project_copy) == []


def test_a_broken_entry_is_a_miss(project_copy: Path) -> None:
    first = build(project_copy)
    (entry,) = entries(project_copy)
    entry.write_text("{not json", encoding="utf-8")
    assert build(project_copy) == first


def test_a_cache_folder_that_cannot_be_written_is_skipped(project_copy: Path) -> None:
    (project_copy / ".cache").write_text("a file where the folder would be", encoding="utf-8")
    assert build(project_copy).ok
    assert build(project_copy).ok


# --- what a build imports ---------------------------------------------------------------

HEAVY = ("sqlalchemy", "alembic", "psycopg", "sendgrid", "starlette", "uvicorn", "rich", "httpx")
RENDERING = ("pydantic", "yaml", "jinja2", "markdown_it", "mjml", "nh3", "email_validator")

PROBE = """
import json, sys
from mailer.cli import cli
try:
    cli.main(sys.argv[1:], standalone_mode=False)
finally:
    print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})), file=sys.stderr)
"""


def imported_by(project: Path, *args: str) -> set[str]:
    """Top-level packages imported by one whole ``newsletter`` command, in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "--project", str(project), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


def test_build_and_check_import_no_database_web_or_sendgrid_code(
    project_copy: Path, tmp_path: Path
) -> None:
    built = imported_by(project_copy, "build", DIGEST, "--out", str(tmp_path), "--no-cache")
    checked = imported_by(project_copy, "check")
    assert {"pydantic", "jinja2", "mjml"} <= built  # the probe sees the rendering path
    assert not built & set(HEAVY)
    assert not checked & set(HEAVY)
    assert "email_validator" not in checked  # the sender addresses were checked by the build


def test_a_cached_build_imports_no_loading_or_rendering_code(
    project_copy: Path, tmp_path: Path
) -> None:
    build_issue(DIGEST, project_copy)
    modules = imported_by(project_copy, "build", DIGEST, "--out", str(tmp_path))
    assert (tmp_path / f"{DIGEST}.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    assert not modules & set(HEAVY + RENDERING)


# --- Jinja2's compiled templates ---------------------------------------------------------


def newsletter(project: Path, *args: str) -> str:
    """Run one whole ``newsletter`` command in a fresh process; its standard output."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mailer.cli import main; main()",
            "--project",
            str(project),
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return result.stdout


def test_compiled_templates_are_kept_and_an_edited_template_is_recompiled(
    project_copy: Path, tmp_path: Path
) -> None:
    newsletter(project_copy, "build", DIGEST, "--out", str(tmp_path), "--no-cache")
    compiled = list((project_copy / CACHE_DIR / "jinja").glob("*/__jinja2_*.cache"))
    assert len(compiled) >= 2  # the layout and its partials, for the HTML and the text part
    text = project_copy / "templates" / "email" / "text.txt.j2"
    text.write_text(text.read_text(encoding="utf-8") + "EDITED FOOTER\n", encoding="utf-8")
    newsletter(project_copy, "build", DIGEST, "--out", str(tmp_path), "--no-cache")
    assert (tmp_path / f"{DIGEST}.txt").read_text(encoding="utf-8").endswith("EDITED FOOTER\n")


def test_a_copied_project_checks_its_own_images(project_copy: Path, tmp_path: Path) -> None:
    build(project_copy)
    moved = tmp_path / "moved"
    shutil.copytree(project_copy, moved)  # the cache folder travels with the project
    (moved / "newsletters" / "images" / "bone-scan.png").unlink()
    assert not build(moved).ok
    assert build(project_copy).ok
