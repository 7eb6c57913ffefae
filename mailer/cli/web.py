"""``newsletter serve``: the web app under uvicorn."""

from __future__ import annotations

import click

from mailer.cli.common import open_engine, project_dir, user_errors


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="TCP port to listen on.",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Run the web app: supporter pages, the SendGrid event webhook and media.

    The webhook verifies requests with SENDGRID_WEBHOOK_PUBLIC_KEY from the environment and
    records the events in the project's database (see `newsletter report`).
    """
    import uvicorn

    from mailer.events.store import DatabaseRecorder
    from mailer.settings import load_project
    from mailer.web import create_app

    root = project_dir(ctx)
    with user_errors():
        project = load_project(root)
    with open_engine(root) as engine:
        with user_errors():
            app = create_app(project, recorder=DatabaseRecorder(engine))
        uvicorn.run(app, host=host, port=port, server_header=False, log_level="info")


@click.command()
@click.option(
    "--port",
    default=8001,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="TCP port on 127.0.0.1 to listen on.",
)
@click.pass_context
def preview(ctx: click.Context, port: int) -> None:
    """Preview the issues in newsletters/ on 127.0.0.1, reloading as files change.

    Each issue shows in a phone (375 px) and a desktop (600 px) frame and as plain text,
    with every `newsletter check` problem and its file and line.
    """
    import uvicorn

    from mailer.settings import load_project
    from mailer.web import create_preview_app

    with user_errors():
        app = create_preview_app(load_project(project_dir(ctx)))
    click.echo(f"Preview at http://127.0.0.1:{port}/preview/ (Ctrl+C to stop)", err=True)
    uvicorn.run(app, host="127.0.0.1", port=port, server_header=False, log_level="warning")
