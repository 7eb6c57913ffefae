"""The one module that assembles the supporter pages' routes from the route modules.

The route modules (:mod:`mailer.web.signup`, :mod:`mailer.web.unsubscribe`,
:mod:`mailer.web.preferences`, :mod:`mailer.web.archive`) are leaves: each builds its routes
from a :class:`mailer.web.supporters.Supporters` and imports only shared helpers
(``supporters``, ``forms``, ``pages`` …), never this module or one another. :mod:`mailer.web.app`
adds these routes to the app's own.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.routing import Route

from mailer.clock import Clock
from mailer.settings import Project
from mailer.web.archive import archive_routes
from mailer.web.pages import Pages
from mailer.web.preferences import preferences_routes
from mailer.web.signup import signup_routes
from mailer.web.supporters import SignupLimits, Supporters
from mailer.web.unsubscribe import unsubscribe_routes


def supporter_routes(
    project: Project,
    pages: Pages,
    *,
    engine_url: str | None,
    environ: Mapping[str, str],
    clock: Clock,
    limits: SignupLimits = SignupLimits(),
    dev_key: bool = False,
) -> tuple[list[Route], Supporters]:
    """The routes of the supporter pages and archive, and the services they share."""
    supporters = Supporters(
        project,
        pages,
        engine_url=engine_url,
        environ=environ,
        clock=clock,
        limits=limits,
        dev_key=dev_key,
    )
    routes = [
        *signup_routes(supporters),
        *unsubscribe_routes(supporters),
        *preferences_routes(supporters),
        *archive_routes(supporters),
    ]
    return routes, supporters
