"""Docs are tested: every command has help text and appears in the README or docs/."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest

from mailer.cli import cli
from tests.plugins.content import ROOT

DOCS = "\n".join(
    path.read_text(encoding="utf-8") for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
)


def _commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        path = f"{prefix}{name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{path} ")


COMMANDS = list(_commands(cli))


def test_the_basic_commands_exist() -> None:
    names = {path for path, _ in COMMANDS}
    assert {"check", "build", "schema"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_has_help_text(path: str, command: click.Command) -> None:
    assert command.help, f"`newsletter {path}` has no help text"
    assert command.help.strip(), f"`newsletter {path}` has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"`newsletter {path}` option {param.opts} has no help text"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS])
def test_every_command_is_documented(path: str) -> None:
    assert f"newsletter {path}" in DOCS, f"`newsletter {path}` is not in README.md or docs/"
