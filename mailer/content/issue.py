"""The content model: an issue file (YAML) → a validated, frozen ``Issue``.

``load_issue(path, project)`` reads the file safely, validates it against the schema
(unknown keys rejected, naive times refused) and against the site settings (known list,
allowed interests), and raises ``ContentError`` carrying *every* problem, each located as
``path:line:column: field: message``. Text fields stay data: nothing here is ever treated as
template code.
"""

from __future__ import annotations

import difflib
import re
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
from pydantic_core import ErrorDetails

from mailer.content.files import display_path, issue_file, issue_paths_in
from mailer.content.source import Loc, Located, format_loc, load_yaml
from mailer.errors import ContentError, Problem
from mailer.settings import Project

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
DOI_PATTERN = r"^10\.\d{4,9}/\S+$"


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
    subject: Annotated[str, Field(min_length=1, max_length=150)]
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

_FRIENDLY: dict[str, str] = {
    "missing": "required field is missing",
    "string_type": "expected text",
    "timezone_aware": "needs a time zone, e.g. 2026-12-01T09:00:00+00:00 or …Z",
    "datetime_type": "expected a date and time like 2026-12-01T09:00:00+00:00",
    "datetime_from_date_parsing": "expected a date and time like 2026-12-01T09:00:00+00:00",
    "datetime_parsing": "expected a date and time like 2026-12-01T09:00:00+00:00",
    "tuple_type": "expected a list",
    "model_type": "expected a mapping of fields",
    "bool_type": "expected true or false",
}


def _message(err: ErrorDetails, model_fields: list[str]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        close = difflib.get_close_matches(name, model_fields, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown field{hint}"
    if kind == "string_pattern_mismatch" and err["loc"][-1] == "id":
        return "expected lower-case letters, digits and hyphens (e.g. 2026-12-research-digest)"
    if kind == "string_pattern_mismatch" and err["loc"][-1] == "doi":
        return "expected a DOI like 10.1038/s41586-020-2649-2 (without https://doi.org/)"
    if kind in _FRIENDLY:
        return _FRIENDLY[kind]
    message = err["msg"]
    return message.removeprefix("Value error, ").replace("Input should be", "expected")


def _fields_near(loc: Loc) -> list[str]:
    """Field names valid at the parent of ``loc`` (for 'did you mean')."""
    model: Any = Issue
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        annotation = field.annotation
        for candidate in getattr(annotation, "__args__", (annotation,)):
            inner = getattr(candidate, "__args__", (candidate,))
            found = next((c for c in (candidate, *inner) if hasattr(c, "model_fields")), None)
            if found is not None:
                model = found
                break
        else:
            return []
    return list(model.model_fields) if hasattr(model, "model_fields") else []


def _clean_loc(loc: tuple[int | str, ...]) -> Loc:
    # pydantic adds pseudo-steps for unions/functions ("function-after[...]"); drop them
    return tuple(p for p in loc if isinstance(p, int) or "[" not in p)


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading one issue file: the issue if valid, and every problem."""

    path: str
    issue: Issue | None
    problems: tuple[Problem, ...]
    located: Located


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
    issue: Issue | None = None
    try:
        issue = Issue.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        locs = [_clean_loc(tuple(err["loc"])) for err in errors]
        for err, loc in zip(errors, locs, strict=True):
            if err["type"] == "too_short" and any(
                len(other) > len(loc) and other[: len(loc)] == loc for other in locs
            ):
                continue  # "at least 1 item" only because an item itself was invalid
            line, col = located.position(loc)
            message = _message(err, _fields_near(loc))
            problems.append(Problem(path, line, col, format_loc(loc), message))
    problems.extend(_settings_problems(located, path, project))
    return Parsed(path, issue if not problems else None, tuple(problems), located)


def _settings_problems(located: Located, path: str, project: Project) -> list[Problem]:
    """References to the site settings: the list and the interest tags must exist."""
    settings = project.settings
    data = located.data
    out: list[Problem] = []

    def report(loc: Loc, message: str) -> None:
        line, col = located.position(loc)
        out.append(Problem(path, line, col, format_loc(loc), message))

    audience = data.get("audience")
    if isinstance(audience, dict):
        list_id = audience.get("list")
        if isinstance(list_id, str) and list_id not in settings.list_ids:
            report(
                ("audience", "list"),
                f"unknown list {list_id!r}; expected one of {', '.join(sorted(settings.list_ids))}",
            )
        for i, tag in enumerate(_as_list(audience.get("interests"))):
            if isinstance(tag, str) and tag not in settings.interest_ids:
                report(("audience", "interests", i), _unknown_tag(tag, settings.interest_ids))
    for s, story in enumerate(_as_list(data.get("stories"))):
        if isinstance(story, dict):
            for i, tag in enumerate(_as_list(story.get("tags"))):
                if isinstance(tag, str) and tag not in settings.interest_ids:
                    report(("stories", s, "tags", i), _unknown_tag(tag, settings.interest_ids))
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
