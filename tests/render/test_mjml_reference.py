"""The MJML we generate passes the reference validator (npm `mjml@5`, strict level).

`.ci/run` installs it with `npm ci` from the committed lockfile; the binary is called once for
every file (each call costs ~0.7 s of Node start-up).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mailer.content.issue import load_issue
from mailer.render.view import render_mjml
from mailer.settings import Project
from tests.plugins.content import ISSUE_DATA, ROOT, SAMPLES

MJML_BIN = ROOT / "node_modules" / ".bin" / "mjml"
RENDERED = [*SAMPLES, ISSUE_DATA / "stress-40.yaml", ISSUE_DATA / "injection.yaml"]


def _validate(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    if not MJML_BIN.exists():
        pytest.fail("the reference MJML validator is missing: run `npm ci` (see .ci/run)")
    return subprocess.run(
        [str(MJML_BIN), *map(str, paths), "-s", "--config.validationLevel=strict"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_generated_mjml_passes_the_reference_validator_strictly(
    project: Project, tmp_path: Path
) -> None:
    files = []
    for path in RENDERED:
        mjml_source, _ = render_mjml(load_issue(path, project), project)
        target = tmp_path / f"{path.stem}.mjml"
        target.write_text(mjml_source, encoding="utf-8")
        files.append(target)
    result = _validate(files)
    assert result.returncode == 0, result.stderr
    assert "ValidationError" not in result.stderr


def test_the_validator_would_catch_an_illegal_attribute(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mjml"
    bad.write_text(
        '<mjml lang="en-GB" dir="ltr"><mj-body><mj-section><mj-column>'
        '<mj-text colour="red">x</mj-text></mj-column></mj-section></mj-body></mjml>'
    )
    result = _validate([bad])
    assert result.returncode != 0
    assert "Attribute colour is illegal" in result.stderr
