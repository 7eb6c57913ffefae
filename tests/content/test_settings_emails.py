"""Sender addresses in newsletter.yaml: checked exactly as pydantic's EmailStr checks them.

The check is remembered per address (email-validator is slow to import), so these tests also
show that a remembered address gives the same answer and that a new one is still checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import EmailStr, TypeAdapter, ValidationError

from mailer.content.diskcache import CACHE_DIR
from mailer.errors import SettingsError
from mailer.settings import load_project

FROM_EMAIL = "research-news@example.org"


def with_sender(project: Path, address: str) -> None:
    settings = project / "newsletter.yaml"
    text = settings.read_text(encoding="utf-8")
    assert FROM_EMAIL in text
    settings.write_text(text.replace(FROM_EMAIL, address, 1), encoding="utf-8")


def email_str(address: str) -> str:
    """What pydantic's own EmailStr makes of ``address``."""
    return TypeAdapter(EmailStr).validate_python(address)


@pytest.mark.parametrize(
    "address", ["Research.News@EXAMPLE.ORG", " news@example.org ", "Team <team@example.org>"]
)
def test_an_address_is_normalised_as_email_str_does_first_and_second_time(
    project_copy: Path, address: str
) -> None:
    with_sender(project_copy, f'"{address}"')
    first = load_project(project_copy).settings.sender.from_email
    again = load_project(project_copy).settings.sender.from_email
    assert first == again == email_str(address)
    assert list((project_copy / CACHE_DIR / "emails").glob("*.json"))


@pytest.mark.parametrize("address", ["not-an-address", "news@localhost", "a@@example.org"])
def test_an_invalid_address_gives_email_str_message_every_time(
    project_copy: Path, address: str
) -> None:
    with pytest.raises(ValidationError) as expected:
        email_str(address)
    with_sender(project_copy, f'"{address}"')
    for _ in range(2):
        with pytest.raises(SettingsError) as raised:
            load_project(project_copy)
        (problem,) = raised.value.problems
        assert problem.field == "sender.from_email"
        assert problem.message == expected.value.errors()[0]["msg"]


def test_a_remembered_address_does_not_excuse_a_new_one(project_copy: Path) -> None:
    load_project(project_copy)  # remembers the sample's addresses
    with_sender(project_copy, '"research-news@@example.org"')
    with pytest.raises(SettingsError, match="invalid settings"):
        load_project(project_copy)
