"""The web app: supporter pages, the signed SendGrid event webhook, media and previews.

``app`` declares the app (middleware, error pages, lifespan) and ``routes`` assembles the
supporter pages' routes; the route modules (``signup``, ``unsubscribe``, ``preferences``,
``archive``) are leaves that import only shared helpers (``supporters``, ``forms``, ``pages``,
``csrf``, ``notices`` …), never ``routes``, ``app`` or one another. ``webhook`` hands verified
events to a recorder (``mailer.events.store.DatabaseRecorder`` when serving).

May import: every other ``mailer`` stage (events, send, render, content, transports, settings,
errors) and ``subscribers``. Never imports ``mailer.cli``.
"""

from __future__ import annotations

from mailer.web.app import WebLimits, create_app, create_console_app, create_preview_app

__all__ = ["WebLimits", "create_app", "create_console_app", "create_preview_app"]
