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


def _configuration_table() -> dict[str, tuple[str, str]]:
    """The README's configuration table: variable -> (read by, meaning)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration (environment)", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = (cells[1], cells[2])
    return rows


READERS = {"config": "`mailer.config`", "cli": "CLI (", "subscribers": "`subscribers."}


def test_the_configuration_table_lists_exactly_the_variables_the_code_reads() -> None:
    from mailer.config import VARIABLES

    table = _configuration_table()
    assert list(table) == [v.name for v in VARIABLES]
    for variable in VARIABLES:
        reader, meaning = table[variable.name]
        assert reader.startswith(READERS[variable.reader]), variable.name
        assert meaning.startswith("secret;") == variable.secret, variable.name


def test_every_top_level_command_is_in_the_readme_command_table() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Commands", 1)[1].split("\n## ", 1)[0]
    missing = [
        name for name in cli.list_commands(click.Context(cli)) if f"`newsletter {name}" not in table
    ]
    assert missing == []
