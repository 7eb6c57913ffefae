"""Real ``newsletter`` processes for tests that kill, race or share a campaign between them.

:class:`Spawner` starts ``newsletter --project COPY …`` against a fake SendGrid server with a
clean sending environment, and kills whatever is still running when the test ends (the whole
process group when started in a session of its own, so forked workers go too).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.fakesendgrid import FakeSendGrid
from tests.plugins.sending import cli_env

NEWSLETTER = str(Path(sys.executable).parent / "newsletter")
TIMEOUT = 60.0
_SENDING_VARS = ("NEWSLETTER_", "SENDGRID_", "TEST_DATABASE_URL")


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after :data:`TIMEOUT`."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class Spawner:
    """Starts ``newsletter`` processes for one test; :meth:`close` reaps them all."""

    def __init__(self, project: Path, db_url: str, *, new_session: bool = False) -> None:
        self.project = project
        self.db_url = db_url
        self.new_session = new_session
        self.started: list[subprocess.Popen[str]] = []

    def __call__(self, server: FakeSendGrid, *args: str) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_SENDING_VARS)}
        env.update(cli_env(self.db_url, server_url=server.url))
        process = subprocess.Popen(
            [NEWSLETTER, "--project", str(self.project), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=self.new_session,
        )
        self.started.append(process)
        return process

    def close(self) -> None:
        for process in self.started:
            if process.poll() is None:
                if self.new_session:
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    process.kill()
            process.communicate(timeout=TIMEOUT)
