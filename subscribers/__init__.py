"""Subscriber store: lists, interests, consent, import/export, tokens, audit log.

This package sits below ``mailer`` and never imports it.
"""

from __future__ import annotations
