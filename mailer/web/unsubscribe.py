"""Unsubscribe: ``GET /u/{token}`` shows one button, ``POST /u/{token}`` unsubscribes.

A GET never changes anything (link scanners follow every link in an email). The POST is the
RFC 8058 one-click endpoint too: mail providers send ``List-Unsubscribe=One-Click`` as a
url-encoded or multipart body, without cookies or a CSRF token, and expect a 2xx; so this is
the one supporter form exempt from CSRF (the signed token names the person and the list, and
is the credential). The body is otherwise ignored, except ``scope=all`` from our own page,
which leaves every list. Unsubscribing twice, or for a subscriber since forgotten, answers the
same 200 page, which names the lists the person is still on and offers to leave them too (a
form posting ``scope=all`` back here). A tampered or malformed token gets the friendly 400 page
and changes nothing.

The campaign's own links end in ``?c={campaign_id}`` (see :mod:`mailer.send.links`); the
unsubscribe is recorded as coming from that campaign (``source`` ``campaign:<id>`` in the audit
log) so ``newsletter report`` counts it. A ``c`` that is not a number or names no campaign is
ignored: the person is unsubscribed all the same, attributed to nothing.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailer.render.mime import ONE_CLICK
from mailer.send.campaigns import campaign_status
from mailer.web.forms import text_field, who
from mailer.web.supporters import Supporters
from subscribers.store import Subscriber, unsubscribe

ONE_CLICK_FIELD, _, ONE_CLICK_VALUE = ONE_CLICK.partition("=")


def unsubscribe_routes(supporters: Supporters) -> list[Route]:
    async def unsubscribe_page(request: Request) -> Response:
        token = request.path_params["token"]
        claims = supporters.verify(token, "unsubscribe")
        list_id = claims.list_id or ""
        context: dict[str, object] = {
            "list_name": supporters.list_name(list_id),
            "other_lists": len(supporters.settings.lists) > 1,
        }
        if request.method in ("GET", "HEAD"):
            return supporters.page(request, "unsubscribe.html.j2", context)

        async with request.form(max_files=1, max_fields=20) as data:
            leave_all = text_field(data, "scope") == "all"
            one_click = text_field(data, ONE_CLICK_FIELD) == ONE_CLICK_VALUE
        action = "one-click-unsubscribe" if one_click else "unsubscribe"

        def apply() -> tuple[str | None, list[str]]:
            found = supporters.subscriber_for(claims)
            if found is None:
                return None, []  # forgotten or purged: nothing left to unsubscribe
            unsubscribe(
                supporters.engine,
                found,
                None if leave_all else list_id,
                who=who(action, request),
                now=supporters.clock(),
                source=campaign_source(request.query_params.get("c", "")),
            )
            return supporters.token_path("preferences", found.public_id), still_on(found)

        def still_on(found: Subscriber) -> list[str]:
            """The names of the lists the person still gets, in newsletter.yaml's order."""
            now = supporters.subscriber_for(claims) or found
            active = {lid for lid, status in now.lists.items() if status == "active"}
            return [item.name for item in supporters.settings.lists if item.id in active]

        preferences_path, remaining = await run_in_threadpool(apply)
        context.update(leave_all=leave_all, preferences_path=preferences_path, still_on=remaining)
        return supporters.page(request, "unsubscribed.html.j2", context)

    def campaign_source(value: str) -> str | None:
        """``campaign:<id>`` when ``value`` names a campaign, else None (ignored)."""
        if not (value.isascii() and value.isdigit() and len(value) <= 9):
            return None
        exists = campaign_status(supporters.engine, int(value)) is not None
        return f"campaign:{int(value)}" if exists else None

    return [
        Route(
            "/u/{token}",
            unsubscribe_page,
            methods=["GET", "HEAD", "POST"],
            name="unsubscribe",
        )
    ]
