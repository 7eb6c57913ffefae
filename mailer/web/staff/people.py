"""Supporters: exact search by address, one supporter, unsubscribe, resend link, forget, import.

Nobody is ever listed: the search (a POST, so the address stays out of URLs and logs) shows
the one supporter whose address is exactly the one typed, or nobody. A supporter's page is
addressed by their ``public_id``. Every change calls the ``subscribers`` package (the same
functions as ``newsletter subscribers``) with ``who`` naming the member of staff, so the audit
log records it; forgetting needs the address typed again. The CSV import takes an uploaded
file into a private temporary folder and shows the summary and the rejected rows.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailer.web.forms import text_field
from mailer.web.pages import Endpoint
from mailer.web.staff.console import Console
from mailer.web.staff.sessions import Session
from subscribers.errors import ImportFileError
from subscribers.importer import import_csv
from subscribers.privacy import export_data, forget
from subscribers.records import Subscriber, get_by_email, get_by_public_id
from subscribers.store import unsubscribe

IMPORT_PATH = "/staff/supporters/import"
IMPORT_BYTES = 20 * 1024 * 1024  # the body limit of the import form (mailer.web.app)
HOME = "/staff/supporters"


def people_routes(console: Console) -> list[Route]:
    return [
        Route(HOME, _search_form(console), methods=["GET", "HEAD"]),
        Route(HOME, _search(console), methods=["POST"]),
        Route(IMPORT_PATH, _import_form(console), methods=["GET", "HEAD"]),
        Route(IMPORT_PATH, _import(console), methods=["POST"]),
        Route(HOME + "/{pid}", _show(console), methods=["GET", "HEAD"]),
        Route(HOME + "/{pid}/unsubscribe", _unsubscribe(console), methods=["POST"]),
        Route(HOME + "/{pid}/link", _resend_link(console), methods=["POST"]),
        Route(HOME + "/{pid}/forget", _forget(console), methods=["POST"]),
    ]


def _supporter(console: Console, request: Request) -> Subscriber:
    pid = request.path_params["pid"]
    found = get_by_public_id(console.engine, pid) if len(pid) <= 64 else None
    if found is None or found.email is None:
        raise HTTPException(404)
    return found


def _search_form(console: Console) -> Endpoint:
    @console.guard("supporters")
    async def search_form(request: Request, session: Session) -> Response:
        return console.render(request, session, "supporters.html.j2", {"searched": None})

    return search_form


def _search(console: Console) -> Endpoint:
    @console.guard("supporters")
    async def search(request: Request, session: Session) -> Response:
        email = text_field(await request.form(), "email", 320)
        found = get_by_email(console.engine, email) if email else None
        context = {"searched": email, "found": found}
        return console.render(request, session, "supporters.html.j2", context)

    return search


def _show(console: Console) -> Endpoint:
    @console.guard("supporters")
    async def show(request: Request, session: Session) -> Response:
        found = _supporter(console, request)
        data = export_data(console.engine, found.email or "")["subscriber"]
        bases = {list_id: basis.describe() for list_id, basis in found.bases.items()}
        context = {"supporter": found, "data": data, "bases": bases}
        return console.render(request, session, "supporter.html.j2", context)

    return show


def _unsubscribe(console: Console) -> Endpoint:
    @console.guard("supporters")
    async def unsubscribe_all(request: Request, session: Session) -> Response:
        found = _supporter(console, request)
        changed = unsubscribe(
            console.engine, found.id, who=session.account.who, now=console.clock()
        )
        notice = "Unsubscribed from every list." if changed else "Already unsubscribed."
        return console.redirect(session, f"{HOME}/{found.public_id}", notice)

    return unsubscribe_all


def _resend_link(console: Console) -> Endpoint:
    @console.guard("supporters")
    async def resend_link(request: Request, session: Session) -> Response:
        found = _supporter(console, request)
        supporters = console.supporters
        lists = sorted(found.lists) or [supporters.settings.lists[0].id]
        sent = supporters.send_notice(supporters.notice("link", found, lists[0]))
        console.audit(
            session, "resend_link", subject=found.public_id, detail="" if sent else "not sent"
        )
        notice = "Their link is on its way." if sent else "The email could not be sent now."
        return console.redirect(session, f"{HOME}/{found.public_id}", notice)

    return resend_link


def _forget(console: Console) -> Endpoint:
    @console.guard("supporters")
    async def forget_them(request: Request, session: Session) -> Response:
        found = _supporter(console, request)
        email = found.email or ""  # _supporter refuses the forgotten
        typed = text_field(await request.form(), "confirm", 320)
        if typed.lower() != email.lower():
            return console.redirect(
                session,
                f"{HOME}/{found.public_id}",
                "Nothing was forgotten: type their address exactly to confirm.",
            )
        forget(
            console.engine,
            email,
            hasher=console.supporters.hasher,
            who=session.account.who,
            now=console.clock(),
        )
        return console.redirect(session, HOME, "Forgotten: nothing personal about them is kept.")

    return forget_them


def _import_form(console: Console) -> Endpoint:
    @console.guard("supporters")
    async def import_form(request: Request, session: Session) -> Response:
        return console.render(request, session, "import.html.j2", {"summary": None, "error": ""})

    return import_form


def _import(console: Console) -> Endpoint:
    @console.guard("supporters")
    async def import_file(request: Request, session: Session) -> Response:
        form = await request.form()
        upload = form.get("file")
        list_id = text_field(form, "list", 64)
        known = {item.id for item in console.project.settings.lists}
        context: dict[str, object] = {"summary": None, "error": ""}
        if not isinstance(upload, UploadFile) or list_id not in known:
            context["error"] = "Choose a CSV file and one of the lists."
            return console.render(request, session, "import.html.j2", context, status_code=400)
        with tempfile.TemporaryDirectory(prefix="staff-import-") as folder:
            path = Path(folder) / "upload.csv"
            path.write_bytes(await upload.read())
            try:
                summary = await run_in_threadpool(
                    import_csv,
                    console.engine,
                    path,
                    list_id,
                    hasher=console.supporters.hasher,
                    who=session.account.who,
                    consent_source=f"staff console upload {upload.filename or ''}"[:120],
                    rejects_path=Path(folder) / "rejects.csv",
                    now=console.clock(),
                )
            except ImportFileError as exc:
                context["error"] = f"{upload.filename}: {exc}"
                return console.render(request, session, "import.html.j2", context, status_code=400)
        context["summary"] = summary.as_dict()
        return console.render(request, session, "import.html.j2", context)

    return import_file
