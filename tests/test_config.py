"""``mailer.config``: every environment variable named and read in one place, secrets hidden.

The list of variables comes from ``mailer.config.VARIABLES``; these tests check that each one
is really read by whoever the list says reads it, and that no other module of ``mailer``
reads the environment or spells a variable's name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from mailer import config
from mailer.cli import cli
from mailer.config import VARIABLES, Config, Secret
from mailer.errors import TransportConfigError
from subscribers import db, keys

MAILER = Path(config.__file__).resolve().parent

#: a valid value for each variable that ``Config`` reads, unlike its default
SAMPLES = {
    config.TRANSPORT: "smtp",
    config.OUTBOX_DIR: "/tmp/outbox-sample",
    config.SENDGRID_API_KEY: "SG.sample-key",
    config.SENDGRID_API_HOST: "http://127.0.0.1:9",
    config.SENDGRID_TIMEOUT: "7.5",
    config.CLICK_TRACKING: "on",
    config.ASM_GROUP: "12",
    config.SMTP_URL: "smtp://user:pw-sample@h:2525",
    config.SMTP_TIMEOUT: "3",
    config.WEBHOOK_PUBLIC_KEY: "MFkw-sample",
    config.PREVIEW_PASSWORD: "correct horse",
    config.STAFF_IDLE_MINUTES: "5",
    config.STAFF_SESSION_HOURS: "2",
    config.SECRET_KEY: "a-long-enough-secret-key",
}


def _read_by(reader: str) -> list[str]:
    return [v.name for v in VARIABLES if v.reader == reader]


def test_variable_names_are_unique_and_of_this_package() -> None:
    names = [v.name for v in VARIABLES]
    assert len(names) == len(set(names))
    assert all(name.startswith(("NEWSLETTER_", "SENDGRID_")) for name in names)


@pytest.mark.parametrize("name", [*_read_by("config"), config.SECRET_KEY])
def test_config_reads_each_of_its_variables(name: str) -> None:
    assert Config.from_environ({name: SAMPLES[name]}) != Config.from_environ({})


def test_every_config_variable_has_a_sample() -> None:
    assert set(_read_by("config")) | {config.SECRET_KEY} == set(SAMPLES)


def _options(group: click.Group) -> Iterator[click.Parameter]:
    ctx = click.Context(group)
    yield from group.params
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from _options(command)
        else:
            yield from command.params


def test_cli_variables_are_option_environment_names() -> None:
    envvars = {p.envvar for p in _options(cli) if isinstance(p.envvar, str)}
    assert set(_read_by("cli")) <= envvars
    assert envvars <= {v.name for v in VARIABLES}


def test_subscribers_variables_are_the_ones_subscribers_reads() -> None:
    assert set(_read_by("subscribers")) == {db.ENV_VAR, keys.SECRET_KEY_VAR, keys.PREVIOUS_KEYS_VAR}


def _reads_the_environment(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "getenv":
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        target = node.func.value
        named = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        return node.func.attr == "get" and named in {"environ", "env"}
    if isinstance(node, ast.Subscript):
        target = node.value
        named = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        return named == "environ"
    return False


def test_no_other_module_reads_the_environment_or_names_a_variable() -> None:
    names = {v.name for v in VARIABLES}
    found = []
    for path in sorted(MAILER.rglob("*.py")):
        if path.name == "config.py" and path.parent == MAILER:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(MAILER.parent)}:{getattr(node, 'lineno', 0)}"
            if _reads_the_environment(node):
                found.append(f"{where} reads the environment")
            if isinstance(node, ast.Constant) and node.value in names:
                found.append(f"{where} spells {node.value}")
    assert found == []


def test_secrets_never_show_in_a_repr() -> None:
    secrets = {name: SAMPLES[name] for name in SAMPLES if name != config.TRANSPORT}
    loaded = Config.from_environ({config.TRANSPORT: "sendgrid", **secrets})
    shown = f"{loaded!r} {loaded}"
    for variable in VARIABLES:
        if variable.secret and variable.name in SAMPLES:
            assert SAMPLES[variable.name] not in shown, variable.name
    assert loaded.sendgrid_api_key.reveal() == "SG.sample-key"
    assert repr(Secret("x")) == str(Secret("x")) == "Secret('**********')"
    assert not Secret()
    assert Secret("x")


def test_values_are_typed() -> None:
    loaded = Config.from_environ(
        {name: SAMPLES[name] for name in (config.SENDGRID_TIMEOUT, config.ASM_GROUP)}
        | {config.CLICK_TRACKING: "yes", config.TRANSPORT: " SendGrid ", config.OUTBOX_DIR: "o"}
    )
    assert (loaded.sendgrid_timeout, loaded.asm_group, loaded.click_tracking) == (7.5, 12, True)
    assert (loaded.transport, loaded.outbox_dir) == ("sendgrid", Path("o"))
    assert loaded.smtp_timeout == config.DEFAULT_TIMEOUT


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (config.TRANSPORT, "pigeon", "NEWSLETTER_TRANSPORT='pigeon' is not one of"),
        (config.SMTP_TIMEOUT, "soon", "NEWSLETTER_SMTP_TIMEOUT must be a number of seconds"),
        (config.SENDGRID_TIMEOUT, "0", "SENDGRID_TIMEOUT must be positive"),
        (config.CLICK_TRACKING, "maybe", "NEWSLETTER_CLICK_TRACKING must be on or off"),
        (config.ASM_GROUP, "twelve", "NEWSLETTER_ASM_GROUP must be a SendGrid group number"),
        (config.SENDGRID_API_HOST, "api.sendgrid.com", "SENDGRID_API_HOST must be an http"),
    ],
)
def test_a_bad_value_is_refused_whichever_transport(name: str, value: str, message: str) -> None:
    with pytest.raises(TransportConfigError, match=message):
        Config.from_environ({config.TRANSPORT: "outbox", name: value})


def test_without_a_mapping_it_reads_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(config.TRANSPORT, "outbox")
    assert Config.from_environ().transport == "outbox"
