"""``newsletter diff``: a report of what supporters would get differently since a git revision."""

from __future__ import annotations

from pathlib import Path

import click

from mailer.cli.common import json_option, print_json, project_dir, user_errors

STATUS_STYLE = {"changed": "yellow", "new": "green", "deleted": "red", "unchanged": "dim"}


@click.command()
@click.argument("rev", required=False)
@click.argument("issues", nargs=-1)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("diff-report"),
    show_default=True,
    help="Folder to write index.html and the screenshots into.",
)
@click.option(
    "--no-screenshots",
    is_flag=True,
    help="Leave out the browser screenshots (faster; the report holds the text parts only).",
)
@json_option("Print the comparison as JSON (the report page is written too).")
@click.pass_context
def diff(
    ctx: click.Context,
    rev: str | None,
    issues: tuple[str, ...],
    out: Path,
    no_screenshots: bool,
    as_json: bool,
) -> None:
    """Render each issue that changed since git revision REV, before and after, for review.

    REV defaults to the merge base of HEAD with the default branch (origin/HEAD, main or
    master), else HEAD; ISSUE… (ids or files) limits the comparison. An issue counts as changed
    when the email supporters get differs: an edit to its file, a template, newsletter.yaml or
    an image it shows. Writes OUT/index.html: the changed fields, a diff of the plain-text part
    and phone, desktop and dark-mode screenshots of both versions (headless Chromium at
    /usr/bin/chromium; without it, the text parts only).
    """
    from mailer.render.diff import diff_revision

    with user_errors():
        report = diff_revision(project_dir(ctx), rev, issues, out, screenshots=not no_screenshots)
    if report.browser_note:
        click.echo(f"note: {report.browser_note}; the report holds the text parts only", err=True)
    if as_json:
        print_json(report.as_dict())
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    for issue in report.issues:
        style = STATUS_STYLE[issue.status]
        console.print(
            f"[{style}]{issue.status:<9}[/] [bold]{escape(issue.issue_id)}[/]: "
            f"{escape(issue.summary())}"
        )
    rev_text = f"{report.revision.name} ({report.revision.short})"
    console.print(
        f"{len(report.changed)} of {len(report.issues)} issues differ from {escape(rev_text)}; "
        f"report: {escape(report.page)}"
    )
