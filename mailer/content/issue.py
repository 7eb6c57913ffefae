"""The content model: an issue file (YAML) → a validated, frozen ``Issue``.

``load_issue(path, project)`` reads the file safely, validates it against the schema
(unknown keys rejected, naive times refused) and against the site settings (known list,
allowed interests), and raises ``ContentError`` carrying *every* problem, each located as
``path:line:column: field: message``. Text fields stay data: nothing here is ever treated as
template code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from mailer.content import codes
from mailer.content.files import display_path, issue_file, issue_paths_in
from mailer.content.source import Loc, Located, format_loc, load_yaml, with_source
from mailer.errors import ContentError, Problem
from mailer.settings import Project

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
DOI_PATTERN = r"^10\.\d{4,9}/\S+$"
SUBJECT_MAX = 150


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError("expected an absolute web address starting with https://")
    return value


def _check_image_src(value: str) -> str:
    if value.startswith(("http://", "https://")):
        return _check_url(value)
    path = Path(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value or not value.strip():
        raise ValueError("expected an https:// address or a file name under newsletters/images/")
    return value


Url = Annotated[str, AfterValidator(_check_url)]
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Researcher(_Strict):
    name: Text
    role: str | None = None
    institution: str | None = None


class Quote(_Strict):
    text: Text
    attribution: Text = Field(description="Who said it, e.g. 'Dr Rachael Eyre'.")
    role: str | None = Field(default=None, description="e.g. 'who carried out the research'")


class Image(_Strict):
    src: Annotated[str, AfterValidator(_check_image_src)] = Field(
        description="https:// URL, or a file name under newsletters/images/"
    )
    alt: str | None = Field(default=None, description="What the image shows, for screen readers.")
    decorative: bool = Field(default=False, description="True for images that carry no meaning.")
    width: int | None = Field(default=None, ge=50, le=600)

    @model_validator(mode="after")
    def _alt_or_decorative(self) -> Image:
        if not self.decorative and not (self.alt or "").strip():
            raise ValueError("alt text is required (describe the image, or set decorative: true)")
        return self


class Link(_Strict):
    url: Url
    label: Text


class Story(_Strict):
    kind: Literal["research", "trial", "achievement", "event", "appeal", "news"]
    title: Text
    researcher: Researcher | None = None
    summary: Text = Field(description="Markdown.")
    quote: Quote | None = None
    image: Image | None = None
    link: Link | None = None
    doi: Annotated[str, Field(pattern=DOI_PATTERN)] | None = Field(
        default=None, description="DOI of the paper behind the story, e.g. 10.1038/s41586-020-1"
    )
    tags: tuple[str, ...] = ()
    embargo_until: AwareDatetime | None = None


class Audience(_Strict):
    list: Text
    interests: tuple[str, ...] = ()


class CallToAction(_Strict):
    heading: Text
    text: Text = Field(description="Markdown.")
    button_label: Text
    url: Url


class Issue(_Strict):
    """One issue of the newsletter, validated."""

    id: Annotated[str, Field(pattern=ID_PATTERN)] = Field(
        description="Stable campaign id; defaults to the file name. Never change it after sending."
    )
    status: Literal["draft", "ready"] = Field(
        description="Scheduled jobs only ever send 'ready' issues."
    )
    subject: Annotated[str, Field(min_length=1, max_length=SUBJECT_MAX)]
    preheader: str | None = Field(default=None, max_length=200)
    send_at: AwareDatetime | None = None
    audience: Audience
    layout: Literal["digest", "appeal"] = "digest"
    intro: Text = Field(description="Markdown.")
    stories: tuple[Story, ...] = Field(min_length=1)
    call_to_action: CallToAction | None = None
    source: str = Field(default="", exclude=True, description="Path of the file (set by loader).")

    @model_validator(mode="after")
    def _appeal_has_one_story(self) -> Issue:
        if self.layout == "appeal" and len(self.stories) != 1:
            raise ValueError("an appeal has exactly one story")
        return self

    @property
    def embargo_until(self) -> datetime | None:
        """The latest embargo of any story (the issue may not go out before it)."""
        times = [story.embargo_until for story in self.stories if story.embargo_until]
        return max(times) if times else None


# --- loading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading one issue file: the issue if valid, and every problem.

    ``data`` is the file's mapping as validated (times read in the settings' zone), also when
    the issue is invalid: lints look at what they can of it (``None`` if it is not a mapping).
    """

    path: str
    issue: Issue | None
    problems: tuple[Problem, ...]
    located: Located
    data: dict[str, Any] | None = None


def issue_from_text(text: str, path: str, project: Project) -> Parsed:
    """Validate issue text; returns the issue (or None) and every problem found."""
    located = load_yaml(text, path)
    problems = list(located.problems)
    if located.data is None:
        if not problems:
            problems.append(Problem(path, 1, 1, "", "the file is empty"))
        return Parsed(path, None, tuple(problems), located)
    if not isinstance(located.data, dict):
        problems.append(Problem(path, 1, 1, "", "expected a mapping of fields at the top level"))
        return Parsed(path, None, tuple(problems), located)
    data = dict(located.data)
    data.setdefault("id", Path(path).stem)
    data["source"] = path
    problems.extend(_read_times(data, located, path, project))
    issue: Issue | None = None
    try:
        issue = Issue.model_validate(data)
    except ValidationError as exc:
        from mailer.content.messages import schema_problems  # only an invalid file needs it

        problems.extend(schema_problems(exc.errors(), Issue, located, path))
    problems.extend(_settings_problems(located, path, project))
    errors = [p for p in problems if p.severity == "error"]
    return Parsed(path, issue if not errors else None, tuple(problems), located, data)


def _read_times(
    data: dict[str, Any], located: Located, path: str, project: Project
) -> Iterator[Problem]:
    """Times without an offset, read in the settings' ``timezone:`` (``data`` is updated)."""
    zone = project.settings.zone
    if zone is None:
        return
    from mailer.content.times import in_zone, naive, time_fields, utc_text

    name = project.settings.timezone or ""
    for loc in time_fields(data):
        holder: Any = data
        for part in loc[:-1]:  # copy the way down: located.data stays as written
            inner = holder[part]
            holder[part] = inner = dict(inner) if isinstance(inner, dict) else list(inner)
            holder = inner
        local = naive(holder[loc[-1]])
        if local is None:
            continue
        line, col = located.position(loc)
        where = (path, line, col, format_loc(loc))
        try:
            holder[loc[-1]] = moment = in_zone(local, zone, name)
        except ValueError as exc:
            holder[loc[-1]] = None
            yield with_source(Problem(*where, str(exc), code=codes.TIME_IN_GAP), located.text)
            continue
        yield Problem(
            *where,
            f"{local.isoformat(timespec='minutes')} in {name} ({moment.tzname()}) is "
            f"{utc_text(moment)} in UTC",
            "note",
            codes.SEND_AT_UTC,
        )


def _settings_problems(located: Located, path: str, project: Project) -> list[Problem]:
    """References to the site settings: the list and the interest tags must exist."""
    settings = project.settings
    data = located.data
    out: list[Problem] = []

    def report(loc: Loc, message: str, code: str) -> None:
        line, col = located.position(loc)
        problem = Problem(path, line, col, format_loc(loc), message, code=code)
        out.append(with_source(problem, located.text))

    audience = data.get("audience")
    if isinstance(audience, dict):
        list_id = audience.get("list")
        if isinstance(list_id, str) and list_id not in settings.list_ids:
            report(
                ("audience", "list"),
                f"unknown list {list_id!r}; expected one of {', '.join(sorted(settings.list_ids))}",
                codes.UNKNOWN_LIST,
            )
        for i, tag in enumerate(_as_list(audience.get("interests"))):
            if isinstance(tag, str) and tag not in settings.interest_ids:
                report(
                    ("audience", "interests", i),
                    _unknown_tag(tag, settings.interest_ids),
                    codes.UNKNOWN_INTEREST,
                )
    for s, story in enumerate(_as_list(data.get("stories"))):
        if isinstance(story, dict):
            for i, tag in enumerate(_as_list(story.get("tags"))):
                if isinstance(tag, str) and tag not in settings.interest_ids:
                    report(
                        ("stories", s, "tags", i),
                        _unknown_tag(tag, settings.interest_ids),
                        codes.UNKNOWN_INTEREST,
                    )
    return out


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _unknown_tag(tag: str, allowed: frozenset[str]) -> str:
    return f"tag {tag!r} is not an allowed interest; expected one of {', '.join(sorted(allowed))}"


def parse_issue(path: Path, project: Project) -> Parsed:
    """Read and validate one issue file, collecting every problem (never raises for content)."""
    display = display_path(path, project.root)
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        problem = Problem(display, 1, 1, "", "no such file")
        return Parsed(display, None, (problem,), Located(None))
    except UnicodeDecodeError as exc:
        problem = Problem(display, 1, 1, "", f"not UTF-8 text (byte {exc.start}); save as UTF-8")
        return Parsed(display, None, (problem,), Located(None))
    return issue_from_text(text, display, project)


def load_issue(path: Path, project: Project) -> Issue:
    """Load and validate one issue file, raising ``ContentError`` with every problem."""
    parsed = parse_issue(path, project)
    if parsed.issue is None:
        raise ContentError(parsed.problems)
    return parsed.issue


def find_issue(ref: str, project: Project) -> Path:
    """An issue given as a path or as an id (``newsletters/<id>.yaml``)."""
    found = issue_file(ref, project.newsletters)
    if found is not None:
        return found
    for path in issue_paths(project):
        parsed = parse_issue(path, project)
        if parsed.issue is not None and parsed.issue.id == ref:
            return path
    return project.newsletters / f"{ref}.yaml"


def issue_paths(project: Project) -> list[Path]:
    """Every issue file in ``newsletters/``, sorted by name."""
    return issue_paths_in(project.newsletters)


_SLUG = re.compile(r"[^a-z0-9]+")


def story_slug(story: Story) -> str:
    return _SLUG.sub("-", story.title.lower()).strip("-")[:40] or "story"
