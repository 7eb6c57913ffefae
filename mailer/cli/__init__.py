"""The ``newsletter`` command: a thin layer over the library.

Each command parses its arguments, calls one library function and turns the project's own
errors into one clear line and a non-zero exit. Subcommands live in sibling modules and are
imported only when invoked, so ``newsletter build`` never pays for SQLAlchemy or sendgrid.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from mailer.config import PROJECT

# command name -> "module:attribute" (relative to mailer.cli)
COMMANDS: dict[str, str] = {
    "check": "content:check",
    "build": "content:build",
    "schema": "content:schema",
    "db": "database:db",
    "subscribers": "subscribers:subscribers",
    "send": "sending:send",
    "proofs": "signoff:proofs",
    "approve": "signoff:approve",
    "campaigns": "campaigns:campaigns",
    "suppressions": "suppressions:suppressions",
    "report": "report:report",
    "serve": "web:serve",
    "preview": "web:preview",
    "quickstart": "quickstart:quickstart",
    "diff": "review:diff",
    "staff": "staff:staff",
    "console": "staff:console",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._load(name) is not None)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a database error that got this far is one line, not a traceback."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from mailer.cli.common import database_problem, fail

            message = database_problem(exc)
            if message is None:
                raise
            fail(message)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(f"mailer.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"mailer.cli.{module_name}":
                return None  # not built yet
            raise
        command: Any = getattr(module, attr, None)
        return command if isinstance(command, click.Command) else None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="charity-newsletter", prog_name="newsletter")
@click.option(
    "--project",
    type=click.Path(file_okay=False, exists=True),
    envvar=PROJECT,
    default=".",
    show_default=True,
    help="Project directory holding newsletter.yaml, newsletters/ and templates/.",
)
@click.pass_context
def cli(ctx: click.Context, project: str) -> None:
    """Publish the charity's research-news newsletter: check, build, send, report."""
    ctx.obj = project


def main() -> None:
    cli()
