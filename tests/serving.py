"""Start `newsletter serve` as a real process on 127.0.0.1 and wait until it answers."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

NEWSLETTER = Path(sys.executable).with_name("newsletter")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.contextmanager
def running_serve(root: Path, port: int, env: Mapping[str, str]) -> Iterator[str]:
    """`newsletter serve` for project ``root``; yields its base URL, stops it afterwards."""
    base_url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(NEWSLETTER), "--project", str(root), "serve", "--port", str(port)],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        deadline = time.monotonic() + 20
        with httpx.Client(base_url=base_url, trust_env=False, timeout=2) as http:
            while True:
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"server did not start: {process.stderr.read()!r}")
                time.sleep(0.05)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()
