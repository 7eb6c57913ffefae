"""Site settings from ``newsletter.yaml`` at the project root.

Everything about the organisation that every issue shares: name, charity number, postal
address, sender, brand, public base URL, lists, allowed interests and UTM defaults. Secrets
never live here; they come from the environment (``NEWSLETTER_SECRET_KEY``,
``SENDGRID_API_KEY`` …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from mailer.content.diskcache import cache_folder, library_stamp, read_json, write_json
from mailer.content.files import SETTINGS_FILE as SETTINGS_FILE  # where it is read from
from mailer.content.source import format_loc, load_yaml, with_source
from mailer.errors import Problem, SettingsError

EMAIL_LIBRARIES = ("pydantic", "email_validator", "idna")


def _email_address(value: str, info: ValidationInfo) -> str:
    """Check and normalise an address exactly as pydantic's ``EmailStr`` does.

    email-validator is slow to import (it compiles large Unicode patterns), so an address it
    has already accepted is taken from ``context["emails"]``: a memo of address → normalised
    address kept per installed pydantic and email-validator (see :func:`load_settings`).
    """
    memo = info.context.get("emails") if isinstance(info.context, dict) else None
    if isinstance(memo, dict) and isinstance(memo.get(value), str):
        return str(memo[value])
    from pydantic.networks import validate_email

    normalised = validate_email(value)[1]
    if isinstance(memo, dict):
        memo[value] = normalised
    return normalised


EmailAddress = Annotated[
    str,
    AfterValidator(_email_address),
    WithJsonSchema({"type": "string", "format": "email"}),
]

HexColour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]


def zone_named(name: str) -> tzinfo:
    """The IANA zone ``name`` (tzdata), or ``ValueError`` naming what was expected."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; expected an IANA name such as Europe/London"
        ) from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organisation(_Strict):
    name: str = Field(min_length=1)
    charity_number: str = Field(min_length=1, description="Registered charity number(s).")
    postal_address: str = Field(min_length=1, description="One line, shown in every footer.")
    website: str = Field(pattern=r"^https://")
    privacy_url: str = Field(
        pattern=r"^https://",
        description="The privacy notice: linked from the signup form, every email's footer "
        "and the confirmation email.",
    )


class Sender(_Strict):
    from_email: EmailAddress
    from_name: str = Field(min_length=1)
    reply_to: EmailAddress | None = None
    unsubscribe_mailto: EmailAddress | None = Field(
        default=None,
        description="Only set when someone processes mail sent to it (List-Unsubscribe mailto).",
    )


class Colours(_Strict):
    primary: HexColour = "#7b2d82"
    accent: HexColour = "#e6007e"
    text: HexColour = "#222222"
    muted: HexColour = "#555555"
    background: HexColour = "#f4f1f6"
    card: HexColour = "#ffffff"
    button_text: HexColour = "#ffffff"


class Brand(_Strict):
    logo_url: str = Field(pattern=r"^https://")
    logo_alt: str = Field(min_length=1)
    colours: Colours = Colours()
    font_stack: str = "Helvetica, Arial, sans-serif"
    web_font: str | None = Field(
        default=None, description="Optional https:// stylesheet of a web font; none by default."
    )


class MailingList(_Strict):
    id: Slug
    name: str = Field(min_length=1)
    description: str = ""
    consent_only: bool = Field(
        default=False,
        description="Send only to subscribers who consented: never to those on the charitable "
        "purpose soft opt-in.",
    )


class Interest(_Strict):
    id: Slug
    name: str = Field(min_length=1)


class Utm(_Strict):
    source: str = "newsletter"
    medium: str = "email"
    enabled: bool = True


class Approval(_Strict):
    """Sign-off before sending: ``send`` refuses an email without enough approvals of it."""

    required: bool = Field(
        default=False,
        description="When true, `newsletter send` and `send --due` refuse an issue whose "
        "email, as it renders now, has not been approved (`newsletter approve`).",
    )
    approvers: int = Field(
        default=1, ge=1, le=2, description="How many different people must approve it."
    )


#: SendGrid's limits for a scheduled send: ``send_at`` at most 72 hours ahead, and no cancel or
#: pause in the last 10 minutes before it. A window must leave at least 5 minutes to cancel in.
MAX_CANCEL_WINDOW = timedelta(hours=72)
MIN_CANCEL_WINDOW = timedelta(minutes=15)
_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h)\s*$")


def parse_duration(value: object) -> timedelta:
    """``15m`` / ``90min`` / ``2h`` as a ``timedelta``; ValueError names what is expected."""
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected a duration such as 15m or 2h, not {value!r}")
    number, unit = int(match.group(1)), match.group(2)
    return timedelta(hours=number) if unit == "h" else timedelta(minutes=number)


def _cancel_window(value: timedelta) -> timedelta:
    if not MIN_CANCEL_WINDOW <= value <= MAX_CANCEL_WINDOW:
        raise ValueError(
            "the cancel window must be between 15m (SendGrid refuses changes in the last 10 "
            "minutes before send_at) and 72h (SendGrid's furthest send_at)"
        )
    return value


CancelWindow = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    AfterValidator(_cancel_window),
    WithJsonSchema({"type": "string", "pattern": r"^\d+\s*(m|min|h)$"}),
]


class Sending(_Strict):
    cancel_window: CancelWindow | None = Field(
        default=None,
        description="SendGrid only: stage each campaign under one batch id with send_at this far "
        "ahead (15m to 72h), so `newsletter campaigns cancel` can still stop it.",
    )


class Settings(_Strict):
    organisation: Organisation
    sender: Sender
    brand: Brand
    base_url: str = Field(pattern=r"^https?://", description="Public base URL of the web pages.")
    language: str = "en-GB"
    lists: tuple[MailingList, ...] = Field(min_length=1)
    interests: tuple[Interest, ...] = ()
    utm: Utm = Utm()
    approval: Approval = Approval()
    sending: Sending = Sending()
    timezone: str | None = Field(
        default=None,
        description="IANA time zone (e.g. Europe/London) in which an issue's send_at and "
        "embargo_until are read when written without an offset; summer time included.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone_named(value)
        return value

    @property
    def zone(self) -> tzinfo | None:
        """The ``timezone:`` setting as a ``tzinfo``, or ``None`` when it is not set."""
        return zone_named(self.timezone) if self.timezone else None

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def list_ids(self) -> frozenset[str]:
        return frozenset(item.id for item in self.lists)

    @property
    def interest_ids(self) -> frozenset[str]:
        return frozenset(item.id for item in self.interests)

    def list_named(self, list_id: str) -> MailingList:
        for item in self.lists:
            if item.id == list_id:
                return item
        raise SettingsError(f"unknown list {list_id!r}; known lists: {sorted(self.list_ids)}")


@dataclass(frozen=True)
class Project:
    """Where a project's files live; everything is relative to ``root``."""

    root: Path
    settings: Settings

    @property
    def newsletters(self) -> Path:
        return self.root / "newsletters"

    @property
    def images(self) -> Path:
        return self.root / "newsletters" / "images"

    @property
    def templates(self) -> Path:
        return self.root / "templates"


def load_settings(path: Path) -> Settings:
    """Read and validate ``newsletter.yaml``; every problem is reported at once.

    Sender addresses email-validator has accepted are remembered under
    ``.cache/newsletter/emails/`` beside the file, one memo per installed pydantic,
    email-validator and idna; an address not in the memo is always checked.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(
            f"{path}: no settings file; run commands from the project directory or pass --project"
        ) from None
    located = load_yaml(text, str(path))
    problems = list(located.problems)
    if not problems:
        memo_file = cache_folder(path.parent, "emails") / f"{library_stamp(*EMAIL_LIBRARIES)}.json"
        memo = read_json(memo_file)
        emails: dict[str, str] = dict(memo) if isinstance(memo, dict) else {}
        known = len(emails)
        try:
            settings = Settings.model_validate(located.data, context={"emails": emails})
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(err["loc"])
                line, col = located.position(loc)
                problem = Problem(str(path), line, col, format_loc(loc), err["msg"])
                problems.append(with_source(problem, text) if located.written(loc) else problem)
        else:
            if len(emails) != known:
                write_json(memo_file, emails)
            return settings
    raise SettingsError(f"{path}: invalid settings", tuple(problems))


def load_project(root: Path) -> Project:
    """The project at ``root`` with its validated settings."""
    return Project(root=root, settings=load_settings(root / SETTINGS_FILE))
