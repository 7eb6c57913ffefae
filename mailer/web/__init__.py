"""The web app: supporter pages, the signed SendGrid event webhook, media and previews."""

from __future__ import annotations

from mailer.web.app import WebLimits, create_app, create_preview_app

__all__ = ["WebLimits", "create_app", "create_preview_app"]
