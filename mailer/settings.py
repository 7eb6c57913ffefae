"""Site settings from ``newsletter.yaml`` at the project root.

Everything about the organisation that every issue shares: name, charity number, postal
address, sender, brand, public base URL, lists, allowed interests and UTM defaults. Secrets
never live here; they come from the environment (``NEWSLETTER_SECRET_KEY``,
``SENDGRID_API_KEY`` …).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from mailer.content.diskcache import cache_folder, library_stamp, read_json, write_json
from mailer.content.files import SETTINGS_FILE as SETTINGS_FILE  # where it is read from
from mailer.content.source import format_loc, load_yaml
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
                problems.append(Problem(str(path), line, col, format_loc(loc), err["msg"]))
        else:
            if len(emails) != known:
                write_json(memo_file, emails)
            return settings
    raise SettingsError(f"{path}: invalid settings", tuple(problems))


def load_project(root: Path) -> Project:
    """The project at ``root`` with its validated settings."""
    return Project(root=root, settings=load_settings(root / SETTINGS_FILE))
