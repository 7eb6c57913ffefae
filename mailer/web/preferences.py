"""The preference centre: ``GET/POST /p/{token}``.

Change the first name, the lists, the topics, or leave everything. The form is CSRF-protected
(:mod:`mailer.web.csrf`). Lists newly ticked here are the person's own explicit opt-in,
recorded as consent (source ``preferences``, with the wording shown and the IP); a pending
subscriber who saves becomes active (the link reached their inbox). Unknown list or topic ids
(a tampered form) are refused with the form and a message; nothing changes.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailer.web.forms import choices, client_ip, text_field, who
from mailer.web.supporters import Supporters
from subscribers.errors import InvalidToken
from subscribers.models import ACTIVE, PENDING
from subscribers.store import Consent, Subscriber, update_preferences
from subscribers.tokens import TokenClaims

PREFERENCES_WORDING = (
    "By saving, I agree to receive the emails I have ticked. "
    "I can change this or unsubscribe at any time."
)


def _context(supporters: Supporters, subscriber: Subscriber, **extra: object) -> dict[str, object]:
    chosen = {k for k, v in subscriber.lists.items() if v in (ACTIVE, PENDING)}
    return {
        "first_name": subscriber.first_name or "",
        "chosen_lists": chosen,
        "chosen_interests": set(subscriber.interests),
        "wording": PREFERENCES_WORDING,
        "saved": None,
        "error": None,
        **extra,
    }


def preferences_routes(supporters: Supporters) -> list[Route]:
    def load(claims: TokenClaims) -> Subscriber:
        found = supporters.subscriber_for(claims)
        if found is None or found.email is None:
            raise InvalidToken("this link is no longer valid")
        return found

    async def preferences_page(request: Request) -> Response:
        claims = supporters.verify(request.path_params["token"], "preferences")
        subscriber = await run_in_threadpool(load, claims)
        if request.method in ("GET", "HEAD"):
            return supporters.form_page(
                request, "preferences.html.j2", _context(supporters, subscriber)
            )
        async with request.form(max_files=0, max_fields=200) as data:
            supporters.csrf.check(request, data)
            leave_all = text_field(data, "action") == "leave-all"
            first_name = text_field(data, "first_name", 200)
            lists = choices(data, "lists")
            interests = choices(data, "interests")
        settings = supporters.settings
        if not set(lists) <= settings.list_ids or not set(interests) <= settings.interest_ids:
            context = _context(supporters, subscriber, error="Choose from the options listed.")
            return supporters.form_page(request, "preferences.html.j2", context, status_code=400)
        if leave_all:
            lists = []
        consent = Consent(
            source="preferences", wording=PREFERENCES_WORDING, ip=client_ip(request)[:64]
        )

        def save() -> Subscriber:
            return update_preferences(
                supporters.engine,
                subscriber,
                who=who("preferences", request),
                first_name=first_name or None,
                lists=lists,
                interests=None if leave_all else interests,
                consent=consent,
                now=supporters.clock(),
            )

        updated = await run_in_threadpool(save)
        saved = "left" if not lists else "saved"
        context = _context(supporters, updated, saved=saved)
        return supporters.form_page(request, "preferences.html.j2", context)

    return [
        Route("/p/{token}", preferences_page, methods=["GET", "HEAD", "POST"], name="preferences")
    ]
