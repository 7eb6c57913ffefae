"""Double opt-in signup, confirmation, and "send me my link".

``GET/POST /subscribe``   the signup form (CSRF-protected, honeypot, per-IP rate limit)
``GET /confirm/{token}``  pending → active, then a welcome email (once)
``GET/POST /link``        email me my preferences link (also re-sends a lost confirmation)

No enumeration: a valid form always gets the same page, whatever the store holds. What is
*sent* depends on the address, and only its owner sees that:

=====================  ===================================================================
the address is …       what happens
=====================  ===================================================================
unknown                a pending subscriber with a consent record per list; "confirm" email
pending                the chosen lists are added (pending); the "confirm" email again
active / unsubscribed  nothing is changed; a "link" email to their preference centre, where
                       they can (re-)join lists themselves
bounced / complained   nothing, no email (a dead or hostile inbox)
/ forgotten
suppressed on request  nothing, no email, not even a "link" email: the Fundraising
(FPS, or the person)   Preference Service asked us never to contact them; the page is the
                       same, so whoever typed the address learns nothing of their request
=====================  ===================================================================

The honeypot (a hidden ``website`` field people never fill in) gets the same success page and
nothing happens. Past the per-IP limit the form answers 429; past the per-address limit the
page is the same and no email goes out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailer.web.forms import choices, client_ip, text_field, who
from mailer.web.pages import Endpoint
from mailer.web.supporters import Supporters
from subscribers.errors import InvalidAddress, InvalidToken, Suppressed
from subscribers.fps import is_suppressed
from subscribers.models import ACTIVE, PENDING, UNSUBSCRIBED
from subscribers.store import (
    Consent,
    Subscriber,
    confirm,
    get_by_email,
    normalise_email,
    subscribe,
)
from subscribers.tokens import TokenClaims

HONEYPOT = "website"
FORM_SOURCE = "web-form"


def consent_wording(supporters: Supporters) -> str:
    """The exact words beside the consent box; stored with every consent record."""
    org = supporters.settings.organisation.name
    return (
        f"Yes, I would like {org} to email me about the lists and topics I have chosen. "
        "I can unsubscribe at any time with the link in every email."
    )


@dataclass
class SignupForm:
    email: str = ""
    first_name: str = ""
    lists: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    consent: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def read_signup(form: FormData, supporters: Supporters) -> SignupForm:
    settings = supporters.settings
    result = SignupForm(
        email=text_field(form, "email"),
        first_name=text_field(form, "first_name", 200),
        lists=choices(form, "lists"),
        interests=choices(form, "interests"),
        consent=form.get("consent") == "yes",
    )
    try:
        normalise_email(result.email)
    except InvalidAddress:
        result.errors["email"] = "Enter your email address, like name@example.com."
    if not result.lists:
        result.errors["lists"] = "Choose at least one kind of email."
    elif not set(result.lists) <= settings.list_ids:
        result.errors["lists"] = "Choose from the kinds of email listed."
    if not set(result.interests) <= settings.interest_ids:
        result.errors["interests"] = "Choose from the topics listed."
    if not result.consent:
        result.errors["consent"] = "Tick the box to say you would like our emails."
    return result


def sign_up(supporters: Supporters, form: SignupForm, ip: str, audit: str) -> None:
    """Apply a valid signup (see the module table); runs in a worker thread."""
    engine = supporters.engine
    if is_suppressed(engine, supporters.hasher, form.email):
        return
    existing = get_by_email(engine, form.email)
    if existing is not None and existing.status != PENDING:
        if existing.status in (ACTIVE, UNSUBSCRIBED):
            _send_link(supporters, existing)
        return
    consent = Consent(source=FORM_SOURCE, wording=consent_wording(supporters), ip=ip[:64])
    subscriber: Subscriber | None = None
    try:
        for list_id in form.lists:
            subscriber = subscribe(
                engine,
                form.email,
                list_id,
                consent=consent,
                hasher=supporters.hasher,
                who=audit,
                first_name=form.first_name or None,
                interests=form.interests,
                now=supporters.clock(),
            )
    except Suppressed:
        return  # forgotten, or unsubscribed from a list meanwhile: no email
    if subscriber is not None:
        names = tuple(supporters.list_name(list_id) for list_id in form.lists)
        supporters.send_notice(supporters.notice("confirm", subscriber, form.lists[0], names))


def send_link(supporters: Supporters, email: str) -> None:
    """``/link``: a pending person gets the confirmation again, others their link (nobody
    suppressed on request gets anything)."""
    if is_suppressed(supporters.engine, supporters.hasher, email):
        return
    found = get_by_email(supporters.engine, email)
    if found is None or found.email is None:
        return
    if found.status == PENDING:
        lists = sorted(found.lists) or [supporters.settings.lists[0].id]
        names = tuple(supporters.list_name(list_id) for list_id in lists)
        supporters.send_notice(supporters.notice("confirm", found, lists[0], names))
    elif found.status in (ACTIVE, UNSUBSCRIBED):
        _send_link(supporters, found)


def _send_link(supporters: Supporters, subscriber: Subscriber) -> None:
    lists = sorted(subscriber.lists) or [supporters.settings.lists[0].id]
    supporters.send_notice(supporters.notice("link", subscriber, lists[0]))


def limit_ip(supporters: Supporters, request: Request) -> None:
    wait = supporters.ip_limiter.hit(client_ip(request))
    if wait is not None:
        raise HTTPException(429, "too many requests", headers={"Retry-After": str(int(wait))})


def activate(supporters: Supporters, claims: TokenClaims, audit_name: str) -> Subscriber:
    """Confirm the subscriber a confirmation token names; a welcome email when it was pending."""
    found = supporters.subscriber_for(claims)
    if found is None:
        raise InvalidToken("this link is no longer valid")
    was_pending = found.status == PENDING or PENDING in found.lists.values()
    confirmed = confirm(supporters.engine, found, who=audit_name, now=supporters.clock())
    if was_pending:
        lists = sorted(k for k, v in confirmed.lists.items() if v == ACTIVE)
        names = tuple(supporters.list_name(list_id) for list_id in lists)
        first = lists[0] if lists else supporters.settings.lists[0].id
        supporters.send_notice(supporters.notice("welcome", confirmed, first, names))
    return confirmed


def subscribe_endpoint(supporters: Supporters) -> Endpoint:
    """``GET/POST /subscribe``: the signup form, and what a valid one does."""

    def signup_page(request: Request, form: SignupForm, status: int = 200) -> Response:
        return supporters.form_page(
            request,
            "subscribe.html.j2",
            {"form": form, "consent_wording": consent_wording(supporters)},
            status_code=status,
        )

    async def subscribe_form(request: Request) -> Response:
        if request.method != "POST":
            return signup_page(request, SignupForm())
        limit_ip(supporters, request)
        async with request.form(max_files=0, max_fields=200) as data:
            supporters.csrf.check(request, data)
            honeypot = text_field(data, HONEYPOT)
            form = read_signup(data, supporters)
        if not honeypot:
            if form.errors:
                return signup_page(request, form, status=400)
            await run_in_threadpool(
                sign_up, supporters, form, client_ip(request), who("signup", request)
            )
        return supporters.page(request, "subscribe_done.html.j2", {})

    return subscribe_form


def confirm_endpoint(supporters: Supporters) -> Endpoint:
    """``GET /confirm/{token}``: pending → active (never on ``HEAD``)."""

    async def confirm_link(request: Request) -> Response:
        token = request.path_params["token"]
        claims = supporters.verify(token, "confirm")
        if request.method == "HEAD":  # link checkers probe with HEAD: never confirm on one
            return supporters.page(request, "confirm_suppressed.html.j2", {})
        try:
            subscriber = await run_in_threadpool(
                activate, supporters, claims, who("confirm", request)
            )
        except Suppressed:
            return supporters.page(request, "confirm_suppressed.html.j2", {}, status_code=400)
        lists = [
            supporters.list_name(k) for k, v in sorted(subscriber.lists.items()) if v == ACTIVE
        ]
        context = {
            "list_names": lists,
            "preferences_path": supporters.token_path("preferences", subscriber.public_id),
        }
        return supporters.page(request, "confirmed.html.j2", context)

    return confirm_link


def link_endpoint(supporters: Supporters) -> Endpoint:
    """``GET/POST /link``: email me my link (the same answer for every address)."""

    async def link_form(request: Request) -> Response:
        if request.method != "POST":
            return supporters.form_page(request, "link.html.j2", {"email": "", "error": None})
        limit_ip(supporters, request)
        async with request.form(max_files=0, max_fields=20) as data:
            supporters.csrf.check(request, data)
            honeypot = text_field(data, HONEYPOT)
            email = text_field(data, "email")
        if not honeypot:
            try:
                normalise_email(email)
            except InvalidAddress:
                context = {
                    "email": email,
                    "error": "Enter your email address, like name@example.com.",
                }
                return supporters.form_page(request, "link.html.j2", context, status_code=400)
            await run_in_threadpool(send_link, supporters, email)
        return supporters.page(request, "link_done.html.j2", {})

    return link_form


def signup_routes(supporters: Supporters) -> list[Route]:
    """The signup, confirmation and "send me my link" routes."""
    subscribe_form = subscribe_endpoint(supporters)
    confirm_link = confirm_endpoint(supporters)
    link_form = link_endpoint(supporters)
    return [
        Route("/subscribe", subscribe_form, methods=["GET", "HEAD", "POST"], name="subscribe"),
        Route("/confirm/{token}", confirm_link, methods=["GET", "HEAD"], name="confirm"),
        Route("/link", link_form, methods=["GET", "HEAD", "POST"], name="link"),
    ]
