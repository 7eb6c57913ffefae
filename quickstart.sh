#!/usr/bin/env bash
# Quick start: set up a virtual environment, then run the main job on the embedded defaults
# (SQLite database, local outbox, no API key): import the sample subscribers and send the
# sample issue to outbox/.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/newsletter ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e .
fi
exec .venv/bin/newsletter quickstart "$@"
