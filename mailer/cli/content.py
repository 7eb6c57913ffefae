"""Commands for comms staff: ``check``, ``build`` and ``schema``."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import click

from mailer.cli.common import project_dir, user_errors
from mailer.errors import Problem

SAMPLE_FIRST_NAME = "Sam"
EXCERPT_INDENT = "    "  # the source line and its caret, under the problem


def sample_token(code: str, list_id: str) -> str:
    """A token shaped and sized like a real one (:mod:`subscribers.tokens`), but not signed."""
    return f"{code}1.00000000.SAMPLE-supporter-id000.{list_id}.SAMPLE-not-a-signature"


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--explain",
    metavar="CODE",
    help="Print the long form of a message code (the [code] after a message) and exit.",
)
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...], as_json: bool, explain: str | None) -> None:
    """Validate and lint issue files (default: every file in newsletters/).

    Prints every problem as path:line:column: field: message [code], then the line of the file
    with a caret under the spot. Exits 1 when any error is found; warnings alone exit 0.
    """
    if explain is not None:
        explain_code(explain)
        return
    from mailer.render.check import check_paths
    from mailer.settings import load_project

    with user_errors():
        project = load_project(project_dir(ctx))
        report = check_paths(paths, project)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for problem in report.problems:
            echo_problem(problem)
        files = len(report.files)
        click.echo(
            f"{files} file{'s' if files != 1 else ''} checked: "
            f"{report.error_count} error{'s' if report.error_count != 1 else ''}, "
            f"{report.warning_count} warning{'s' if report.warning_count != 1 else ''}"
        )
    sys.exit(1 if report.error_count else 0)


def echo_problem(problem: Problem, *, err: bool = False) -> None:
    """The problem's line, then the line of the file it points into with a caret under it."""
    click.echo(str(problem), err=err)
    if problem.excerpt:
        click.echo(textwrap.indent(problem.excerpt, EXCERPT_INDENT), err=err)


def explain_code(code: str) -> None:
    """Print the explanation of ``code``; one line and exit 1 when there is none."""
    from mailer.content.codes import EXPLANATIONS

    text = EXPLANATIONS.get(code.strip().strip("[]"))
    if text is None:
        click.echo(
            f"error: no message has the code {code!r}; codes: {', '.join(sorted(EXPLANATIONS))}",
            err=True,
        )
        sys.exit(1)
    click.echo(f"{code.strip().strip('[]')}\n\n{text}")


@click.command()
@click.argument("issue")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Folder to write the files into.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Load and render the issue even when nothing changed since the last build.",
)
@click.pass_context
def build(ctx: click.Context, issue: str, out: Path, no_cache: bool) -> None:
    """Render ISSUE (a file or an issue id) to HTML, text, MJML and a sample .eml.

    Refuses, writing nothing, when `newsletter check` finds errors in the issue. An issue
    unchanged since the last build (same file, settings, templates and code) is not rendered
    again: the result is kept under .cache/newsletter/ in the project.
    """
    from mailer.render.build import build_issue
    from mailer.render.email import substitutions
    from mailer.render.mime import build_message

    with user_errors():
        built = build_issue(issue, project_dir(ctx), use_cache=not no_cache)
    for problem in built.problems:
        echo_problem(problem, err=True)
    email = built.email
    if email is None:
        click.echo(f"error: {built.path} has errors; nothing was written", err=True)
        sys.exit(1)
    base = built.base_url
    values = substitutions(
        SAMPLE_FIRST_NAME,
        f"{base}/u/{sample_token('u', email.list_id)}",
        f"{base}/p/{sample_token('p', '')}",
    )
    message = build_message(email, "sam@example.org", values)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, body in (
        ("html", email.html),
        ("txt", email.text),
        ("mjml", email.mjml),
        ("eml", message.as_bytes()),
    ):
        target = out / f"{email.issue_id}.{suffix}"
        if isinstance(body, bytes):
            target.write_bytes(body)
        else:
            target.write_text(body, encoding="utf-8")
        written.append(target)
    for target in written:
        click.echo(f"wrote {target}")
    click.echo(f"HTML is {email.html_bytes / 1024:.1f} KB (Gmail clips at 102 KB)")


@click.command()
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file instead."
)
def schema(out: Path | None) -> None:
    """Print the JSON Schema of an issue file (for editor autocompletion)."""
    from mailer.content.schema import issue_schema_json

    text = issue_schema_json()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")
