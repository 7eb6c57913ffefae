"""The staff preview: every issue in ``newsletters/``, rendered as it is on disk right now.

``GET /preview/`` lists the issues with their problem counts; ``/preview/issue/NAME`` shows one
as a supporter meets it: the inbox line a phone shows (:mod:`mailer.web.inbox`), then the email
in a phone (375 px) and a desktop (600 px) frame, or its plain text, with every ``check``
problem located as ``file:line:column`` beside it. ``?scheme=dark`` shows the frames with the
email's dark-mode palette, as a phone set to dark mode would (no script: the frame's
``prefers-color-scheme: dark`` rules are made unconditional). The frames load
``/preview/frame/NAME``: the email's HTML as the sample supporter "Sam" gets it, under a policy
of its own (inline styles allowed, no scripts, sandboxed). An issue with errors still shows what
can be shown (:func:`mailer.content.salvage.salvage_issue`: stories with errors left out), with
what was left out named. Loading, checking and MJML run in a worker thread, off the event
loop. Each request re-reads the files, so an edit shows on the next load;
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

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from mailer.content.issue import issue_paths, parse_issue
from mailer.content.salvage import salvage_issue
from mailer.errors import RenderError, SettingsError
from mailer.render.check import CheckReport, FileReport, check_paths
from mailer.render.email import Email, personalise, substitutions
from mailer.render.view import render_issue
from mailer.settings import SETTINGS_FILE, Project, load_project
from mailer.web.inbox import PREHEADER_CHARS, SENDER_CHARS, SUBJECT_CHARS, inbox_line
from mailer.web.pages import Endpoint, Pages

FRAME_POLICY = (
    "default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline' https:; "
    "font-src https: data:; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
VIEWS = {"both": "Phone and desktop", "phone": "Phone", "desktop": "Desktop", "text": "Text"}
SCHEMES = {"light": "Light", "dark": "Dark"}
NO_STORE = {"Cache-Control": "no-store"}
# The sample supporter the preview shows the email to; the links stay inside the preview.
SAMPLE_FIRST_NAME = "Sam"
SAMPLE_VALUES = substitutions(SAMPLE_FIRST_NAME, "#unsubscribe", "#preferences")
DARK_RULES = "@media (prefers-color-scheme: dark)"


@dataclass(frozen=True)
class Shown:
    """One issue as the preview shows it: the check's verdict and the email to show."""

    report: FileReport
    email: Email | None  # the email, or what of it can be shown despite errors, or None
    left_out: tuple[str, ...] = ()  # parts left out or replaced to show it despite errors

    @property
    def partial(self) -> bool:
        return self.report.email is None and self.email is not None


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

    def check_all(self) -> CheckReport:
        project = self.project()
        return check_paths(issue_paths(project), project)

    def report(self, path: Path, project: Project | None = None) -> FileReport:
        """``path`` checked and rendered (blocking: run it in a thread)."""
        return check_paths([path], project or self.project()).files[0]

    def show(self, name: str) -> Shown:
        """The issue file ``name``, checked and rendered (blocking: run it in a thread)."""
        path = self.find(name)
        project = self.project()
        report = self.report(path, project)
        if report.email is not None:
            return Shown(report, report.email)
        salvaged = salvage_issue(parse_issue(path, project), project.settings)
        if salvaged is None:
            return Shown(report, None)
        try:
            email = render_issue(salvaged.issue, project)
        except (RenderError, SettingsError):
            return Shown(report, None)
        return Shown(report, email, salvaged.left_out)

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
        reports = await run_in_threadpool(preview.check_all)
        context = {"reports": reports.files, "settings_problems": reports.settings_problems}
        return pages.render(request, "preview_index.html.j2", context, headers=NO_STORE)

    return index


def _choice(request: Request, name: str, allowed: dict[str, str], default: str) -> str:
    value = request.query_params.get(name, default)
    return value if value in allowed else default


def _issue(preview: Preview, pages: Pages) -> Endpoint:
    async def issue(request: Request) -> Response:
        name = request.path_params["name"]
        shown = await run_in_threadpool(preview.show, name)
        email = shown.email
        text = personalise(email.text, SAMPLE_VALUES) if email else ""
        context = {
            "name": name,
            "report": shown.report,
            "shown": shown,
            "inbox": inbox_line(email, text) if email else None,
            "cuts": {
                "sender": SENDER_CHARS,
                "subject": SUBJECT_CHARS,
                "preheader": PREHEADER_CHARS,
            },
            "sample_name": SAMPLE_FIRST_NAME,
            "text": text,
            "view": _choice(request, "view", VIEWS, "both"),
            "views": VIEWS,
            "scheme": _choice(request, "scheme", SCHEMES, "light"),
            "schemes": SCHEMES,
            "version": preview.version(),
        }
        return pages.render(request, "preview_issue.html.j2", context, headers=NO_STORE)

    return issue


def dark_html(html: str) -> str:
    """The email's HTML with its dark-mode rules applied whatever the viewer's setting."""
    return html.replace(DARK_RULES, "@media all")


def _frame(preview: Preview) -> Endpoint:
    async def frame(request: Request) -> Response:
        shown = await run_in_threadpool(preview.show, request.path_params["name"])
        if shown.email is None:
            raise HTTPException(404)
        html = personalise(shown.email.html, SAMPLE_VALUES)
        # Images from newsletters/images/ point at the public site; show the files on disk.
        base_url = preview.project().settings.base_url
        html = html.replace(f"{base_url}/media/", "/media/")
        if _choice(request, "scheme", SCHEMES, "light") == "dark":
            html = dark_html(html)
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
