"""Rendering: a validated ``Issue`` → the frozen ``Email`` (HTML, plain text and MJML).

Jinja2 (autoescape, StrictUndefined) fills the MJML templates in ``templates/email/`` with a
view model built here; values from the issue are passed as *data*, so ``{{ 7*7 }}`` in a title
prints as typed. Markdown fields arrive pre-rendered and sanitised (:mod:`mailer.render.markdown`).
:mod:`mailer.render.mjml` compiles the result. Per-recipient values are substitution tags
(:mod:`mailer.render.email`), so an issue renders once for every recipient.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from mailer.content.diskcache import cache_folder, library_stamp
from mailer.content.issue import Issue, Story, story_slug
from mailer.errors import ImageError, RenderError
from mailer.render.email import (
    FIRST_NAME_HTML,
    FIRST_NAME_TEXT,
    PREFERENCES_URL,
    UNSUBSCRIBE_URL,
    Email,
    break_tags,
)
from mailer.render.images import local_image, prepare_image
from mailer.render.markdown import (
    add_utm,
    link_line,
    markdown_to_html,
    markdown_to_text,
    wrap_text,
)
from mailer.render.mjml import compile_mjml
from mailer.render.palette import dark_palette
from mailer.settings import Project, Settings

KIND_LABELS = {
    "research": "Research",
    "trial": "Clinical trial",
    "achievement": "Achievement",
    "event": "Event",
    "appeal": "Appeal",
    "news": "News",
}
CONTENT_WIDTH = 552  # 600 px body minus 24 px padding either side
UTM_CONTENT_LENGTH = 40
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


_HTML_OPTIONS: dict[str, Any] = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True}
_TEXT_OPTIONS: dict[str, Any] = {
    "autoescape": False,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
}


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's compiled templates on disk, checked against the source's checksum on load.

    Jinja2 keys them by template name and source only, so each environment gets a folder named
    after its options and the installed Jinja2 (:func:`_compiled_folder`). Only writing can
    fail (a read-only project); then the template is simply compiled again.
    """

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _compiled_folder(root: Path, options: dict[str, Any]) -> _TemplateCache | None:
    stamp = library_stamp("jinja2", "markupsafe") + repr(sorted(options.items()))
    name = hashlib.sha256(stamp.encode()).hexdigest()[:32]
    folder = cache_folder(root, "jinja", name)
    return _TemplateCache(str(folder)) if folder.is_dir() else None


@lru_cache(maxsize=8)
def _environments(templates: Path, root: Path) -> tuple[jinja2.Environment, jinja2.Environment]:
    loader = jinja2.FileSystemLoader(str(templates))
    html_env, text_env = (
        jinja2.Environment(
            loader=loader,
            undefined=jinja2.StrictUndefined,
            auto_reload=True,
            bytecode_cache=_compiled_folder(root, options),
            **options,
        )
        for options in (_HTML_OPTIONS, _TEXT_OPTIONS)
    )
    text_env.filters["wrap"] = wrap_text
    text_env.globals["link_line"] = link_line
    return html_env, text_env


def image_url(src: str, settings: Settings) -> str:
    """An image's absolute URL: https:// as written, or served from ``/media/`` by the web app."""
    if not local_image(src):
        return src
    return f"{settings.base_url}/media/{src}"


def sized_image_url(src: str, display_width: int, project: Project) -> str:
    """The URL of the resized, content-hashed copy of a local image (:mod:`.images`).

    An image that cannot be prepared keeps its own URL; ``check`` reports why.
    """
    if local_image(src):
        with contextlib.suppress(ImageError, OSError):
            src = prepare_image(project.images, src, display_width).name
    return image_url(src, project.settings)


def view_url(issue_id: str, settings: Settings) -> str:
    return f"{settings.base_url}/archive/{issue_id}"


@dataclass(frozen=True)
class _Links:
    utm: dict[str, str]

    def content(self, url: str, content: str | None = None) -> str:
        utm = dict(self.utm)
        if utm and content:
            utm["utm_content"] = content
        return add_utm(url, utm)


def _utm(issue: Issue, settings: Settings) -> dict[str, str]:
    if not settings.utm.enabled:
        return {}
    return {
        "utm_source": settings.utm.source,
        "utm_medium": settings.utm.medium,
        "utm_campaign": issue.id,
    }


def utm_content(story: Story) -> str:
    """The story's ``utm_content``: its slug, shortened at a word boundary (no cut-off hyphen)."""
    slug = _NOT_SLUG.sub("-", story.title.lower()).strip("-")
    if len(slug) > UTM_CONTENT_LENGTH:
        head = slug[: UTM_CONTENT_LENGTH + 1].rpartition("-")[0]
        slug = head or slug[:UTM_CONTENT_LENGTH]
    return slug.strip("-") or story_slug(story)


def _story_view(story: Story, project: Project, links: _Links) -> dict[str, Any]:
    settings = project.settings
    colours = settings.brand.colours
    slug = utm_content(story)
    utm = dict(links.utm, utm_content=slug) if links.utm else {}
    link_style = f"color:{colours.accent};"
    researcher = None
    if story.researcher:
        r = story.researcher
        researcher = break_tags(", ".join(p for p in (r.name, r.role, r.institution) if p))
    quote = None
    quote_text = ""
    if story.quote:
        q = story.quote
        quote = {
            "text": break_tags(q.text),
            "attribution": break_tags(q.attribution),
            "role": break_tags(q.role) if q.role else None,
        }
        who = q.attribution + (f", {q.role}" if q.role else "")
        quote_text = (
            wrap_text(f"\u201c{q.text}\u201d", indent="  ")
            + "\n"
            + wrap_text(f"\u2014 {who}", indent="  ")
        )
    image = None
    if story.image:
        width = story.image.width or CONTENT_WIDTH
        image = {
            "src": sized_image_url(story.image.src, width, project),
            "alt": "" if story.image.decorative else break_tags(story.image.alt or ""),
            "width": width,
        }
    link = None
    if story.link:
        link = {"url": links.content(story.link.url, slug), "label": break_tags(story.link.label)}
    return {
        "kind_label": KIND_LABELS[story.kind],
        "title": break_tags(story.title),
        "heading_text": wrap_text(f"{KIND_LABELS[story.kind].upper()}: {break_tags(story.title)}"),
        "researcher": researcher,
        "summary_html": Markup(markdown_to_html(story.summary, link_style=link_style, utm=utm)),
        "summary_text": markdown_to_text(story.summary, utm=utm),
        "quote": quote,
        "quote_text": quote_text,
        "image": image,
        "link": link,
        "doi": story.doi,
        "doi_url": f"https://doi.org/{story.doi}" if story.doi else None,
    }


def build_context(issue: Issue, project: Project) -> dict[str, Any]:
    """The view model the templates see. Every value from the issue is data."""
    settings = project.settings
    links = _Links(_utm(issue, settings))
    colours = settings.brand.colours
    link_style = f"color:{colours.accent};"
    cta = None
    if issue.call_to_action:
        c = issue.call_to_action
        cta = {
            "heading": break_tags(c.heading),
            "text_html": Markup(
                markdown_to_html(c.text, link_style="color:#ffffff;", utm=links.utm)
            ),
            "text_text": markdown_to_text(c.text, utm=links.utm),
            "button": {"label": break_tags(c.button_label), "url": links.content(c.url, "cta")},
        }
    return {
        "language": settings.language,
        "subject": break_tags(issue.subject),
        "preheader": break_tags(issue.preheader or ""),
        "brand": settings.brand,
        "colours": colours,
        "dark": dark_palette(colours),
        "org": settings.organisation,
        "website_url": links.content(settings.organisation.website, "logo"),
        "list_name": settings.list_named(issue.audience.list).name,
        "view_url": view_url(issue.id, settings),
        "first_name_html": FIRST_NAME_HTML,
        "first_name_text": FIRST_NAME_TEXT,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "preferences_url": PREFERENCES_URL,
        "intro_html": Markup(markdown_to_html(issue.intro, link_style=link_style, utm=links.utm)),
        "intro_text": markdown_to_text(issue.intro, utm=links.utm),
        "stories": [_story_view(story, project, links) for story in issue.stories],
        "cta": cta,
    }


def render_mjml(issue: Issue, project: Project) -> tuple[str, str]:
    """Fill the templates: returns (MJML source, plain text)."""
    html_env, text_env = _environments(project.templates.resolve(), project.root.resolve())
    context = build_context(issue, project)
    try:
        mjml_source = html_env.get_template(f"email/{issue.layout}.mjml.j2").render(context)
        text = text_env.get_template("email/text.txt.j2").render(context)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"{project.templates}: template not found: {exc.name}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"{exc.filename}:{exc.lineno}: template error: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise RenderError(f"template error: {exc.message}") from None
    return mjml_source, _tidy_text(text)


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return "\n".join(out).strip() + "\n"


def render_issue(issue: Issue, project: Project) -> Email:
    """Render an issue once: HTML (compiled MJML), plain text and the MJML itself."""
    settings = project.settings
    mjml_source, text = render_mjml(issue, project)
    fonts = {"Brand": settings.brand.web_font} if settings.brand.web_font else {}
    html = compile_mjml(mjml_source, templates=project.templates, fonts=fonts)
    return Email(
        issue_id=issue.id,
        subject=issue.subject,
        preheader=issue.preheader or "",
        html=html,
        text=text,
        mjml=mjml_source,
        from_email=str(settings.sender.from_email),
        from_name=settings.sender.from_name,
        reply_to=str(settings.sender.reply_to) if settings.sender.reply_to else None,
        list_id=issue.audience.list,
        interests=issue.audience.interests,
        send_at=issue.send_at,
        embargo_until=issue.embargo_until,
        view_url=view_url(issue.id, settings),
        language=settings.language,
        list_name=settings.list_named(issue.audience.list).name,
        consent_only=settings.list_named(issue.audience.list).consent_only,
    )
