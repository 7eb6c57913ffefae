"""Benchmarks: scripts run as ``.venv/bin/python bench/NAME.py``; they print figures."""
