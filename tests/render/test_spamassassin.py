"""SpamAssassin's local rules find nothing in what we send: a built .eml and an outbox .eml.

Debian's ``spamassassin`` (``.ci/run`` installs it, so CI always runs this), local tests only
(``-L``: no DNS or network checks). Both files are checked at once, one process each.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import cli
from mailer.content.issue import load_issue
from mailer.render.email import substitutions
from mailer.render.view import render_issue
from mailer.settings import Project
from mailer.transports.base import Outgoing
from mailer.transports.outbox import OutboxTransport
from tests.plugins.content import ROOT
from tests.render.rawmail import real_unsubscribe_url

SPAMASSASSIN = shutil.which("spamassassin")
MAX_SCORE = 0.1

pytestmark = pytest.mark.skipif(
    SPAMASSASSIN is None, reason="spamassassin is not installed here (.ci/run installs it)"
)


def built_eml(out: Path) -> Path:
    issue = "2026-12-secondary-research"
    result = CliRunner().invoke(cli, ["--project", str(ROOT), "build", issue, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / f"{issue}.eml"


def outbox_eml(project: Project, out: Path) -> Path:
    email = render_issue(
        load_issue(ROOT / "newsletters/2026-12-winter-appeal.yaml", project), project
    )
    url = real_unsubscribe_url()
    item = Outgoing(
        delivery_id="d1",
        to_email="zoe@example.org",
        to_name="Zoë",
        substitutions=substitutions("Zoë", url, url.replace("/u/", "/p/")),
        unsubscribe_url=url,
    )
    OutboxTransport(out).send_batch(email, [item])
    return out / email.issue_id / "d1.eml"


def score_and_rules(checked: bytes) -> tuple[float, str]:
    status = str(message_from_bytes(checked, policy=policy.default)["X-Spam-Status"])
    match = re.search(r"score=(-?[0-9.]+).*?tests=(\S*)", " ".join(status.split()))
    assert match is not None, status
    report = checked.decode("utf-8", "replace").partition("Content analysis details")[2]
    return float(match.group(1)), f"{match.group(2)}\n{report}"


def test_spamassassin_scores_built_and_outbox_mail_at_most_0_1(
    project: Project, tmp_path: Path
) -> None:
    assert SPAMASSASSIN is not None
    files = [built_eml(tmp_path / "build"), outbox_eml(project, tmp_path / "outbox")]
    env = dict(os.environ, HOME=str(tmp_path))  # its user_prefs and Bayes files go there
    command = [SPAMASSASSIN, "-L", "-t", "-p", str(tmp_path / "user_prefs")]
    runs = []
    for path in files:
        with path.open("rb") as stdin:
            runs.append(subprocess.Popen(command, stdin=stdin, stdout=subprocess.PIPE, env=env))
    for path, run in zip(files, runs, strict=True):
        checked, _ = run.communicate(timeout=120)
        assert run.returncode == 0, path
        score, rules = score_and_rules(checked)
        assert score <= MAX_SCORE, f"{path.name}: {score} points, rules: {rules}"
