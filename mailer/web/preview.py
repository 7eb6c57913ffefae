"""The staff preview: every issue in ``newsletters/``, rendered as it is on disk right now.

``GET /preview/`` lists the issues with their problem counts; ``/preview/issue/NAME`` shows one
in a phone (375 px) and a desktop (600 px) frame, or its plain text, with every ``check``
problem located as ``file:line:column``. The frames load ``/preview/frame/NAME``: the email's
HTML with neutral personal values, under a policy of its own (inline styles allowed, no
scripts, sandboxed). Each request re-reads the files, so an edit shows on the next load;
``/assets/preview.js`` (the only script, optional) polls ``/preview/version`` and reloads the
page when a YAML file, a template or the settings change. NAME is only ever matched against the
files that exist, never joined to a path.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from mailer.content.issue import issue_paths
from mailer.render.check import FileReport, check_paths
from mailer.render.email import personalise, substitutions
from mailer.settings import SETTINGS_FILE, Project, load_project
from mailer.web.pages import Endpoint, Pages

FRAME_POLICY = (
    "default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline' https:; "
    "font-src https: data:; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
VIEWS = {"both": "Phone and desktop", "phone": "Phone", "desktop": "Desktop", "text": "Text"}
NO_STORE = {"Cache-Control": "no-store"}
# What a reader with no first name on file sees; the links stay inside the preview.
SAMPLE_VALUES = substitutions(None, "#unsubscribe", "#preferences")


@dataclass(frozen=True)
class Preview:
    """Loads the project afresh for each request, so edits on disk show at once."""

    root: Path

    def project(self) -> Project:
        return load_project(self.root)

    def files(self) -> list[Path]:
        return issue_paths(self.project())

    def find(self, name: str) -> Path:
        for path in self.files():
            if path.name == name:
                return path
        raise HTTPException(404)

    def report(self, path: Path) -> FileReport:
        return check_paths([path], self.project()).files[0]

    def version(self) -> str:
        """A fingerprint of every file the preview depends on."""
        digest = hashlib.sha256()
        watched = [self.root / SETTINGS_FILE]
        for folder in (self.root / "newsletters", self.root / "templates"):
            if folder.is_dir():
                watched.extend(sorted(p for p in folder.rglob("*") if p.is_file()))
        for path in watched:
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}\n".encode())
        return digest.hexdigest()[:16]


def preview_routes(root: Path, pages: Pages) -> list[Route]:
    """The preview's routes, for the preview app or (password-protected) for ``serve``."""
    preview = Preview(root)
    return [
        Route("/preview/", _index(preview, pages), methods=["GET", "HEAD"]),
        Route("/preview/issue/{name}", _issue(preview, pages), methods=["GET", "HEAD"]),
        Route("/preview/frame/{name}", _frame(preview), methods=["GET", "HEAD"]),
        Route("/preview/version", _version(preview), methods=["GET"]),
        Route("/assets/preview.js", _script(pages), methods=["GET", "HEAD"]),
    ]


def require_password(routes: list[Route], password: str) -> list[Route]:
    """The same routes behind HTTP Basic authentication (any user name, this password)."""
    expected = password.encode()

    def protect(endpoint: Endpoint) -> Endpoint:
        async def protected(request: Request) -> Response:
            if not _password_matches(request.headers.get("authorization", ""), expected):
                raise HTTPException(401, headers={"WWW-Authenticate": 'Basic realm="preview"'})
            return await endpoint(request)

        return protected

    return [
        Route(route.path, protect(route.endpoint), methods=route.methods, name=route.name)
        for route in routes
    ]


def _password_matches(header: str, expected: bytes) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        _user, _, given = base64.b64decode(encoded, validate=True).partition(b":")
    except binascii.Error:
        return False
    return hmac.compare_digest(given, expected)


def _index(preview: Preview, pages: Pages) -> Endpoint:
    async def index(request: Request) -> Response:
        project = preview.project()
        reports = check_paths(issue_paths(project), project)
        context = {"reports": reports.files, "settings_problems": reports.settings_problems}
        return pages.render(request, "preview_index.html.j2", context, headers=NO_STORE)

    return index


def _issue(preview: Preview, pages: Pages) -> Endpoint:
    async def issue(request: Request) -> Response:
        path = preview.find(request.path_params["name"])
        view = request.query_params.get("view", "both")
        if view not in VIEWS:
            view = "both"
        report = preview.report(path)
        text = personalise(report.email.text, SAMPLE_VALUES) if report.email else ""
        context = {
            "name": path.name,
            "report": report,
            "text": text,
            "view": view,
            "views": VIEWS,
            "version": preview.version(),
        }
        return pages.render(request, "preview_issue.html.j2", context, headers=NO_STORE)

    return issue


def _frame(preview: Preview) -> Endpoint:
    async def frame(request: Request) -> Response:
        path = preview.find(request.path_params["name"])
        project = preview.project()
        report = check_paths([path], project).files[0]
        if report.email is None:
            raise HTTPException(404)
        html = personalise(report.email.html, SAMPLE_VALUES)
        # Images from newsletters/images/ point at the public site; show the files on disk.
        html = html.replace(f"{project.settings.base_url}/media/", "/media/")
        headers = {**NO_STORE, "Content-Security-Policy": FRAME_POLICY}
        return HTMLResponse(html, headers=headers)

    return frame


def _version(preview: Preview) -> Endpoint:
    async def version(request: Request) -> Response:
        return JSONResponse({"version": preview.version()}, headers=NO_STORE)

    return version


def _script(pages: Pages) -> Endpoint:
    async def script(request: Request) -> Response:
        body = pages.render_text("preview.js")
        return Response(body, media_type="text/javascript; charset=utf-8", headers=NO_STORE)

    return script
