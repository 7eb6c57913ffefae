"""``newsletter serve``: the web app under uvicorn."""

from __future__ import annotations

import click

from mailer.cli.common import project_dir, user_errors


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

    The webhook verifies requests with SENDGRID_WEBHOOK_PUBLIC_KEY from the environment.
    """
    import uvicorn

    from mailer.settings import load_project
    from mailer.web import create_app

    with user_errors():
        app = create_app(load_project(project_dir(ctx)))
    uvicorn.run(app, host=host, port=port, server_header=False, log_level="info")
