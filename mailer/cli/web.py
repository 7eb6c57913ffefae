"""``newsletter serve``: the web app under uvicorn."""

from __future__ import annotations

import click

from mailer.cli.common import fail, open_engine, project_dir, user_errors
from mailer.config import DEV_KEY


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port to listen on (0: any free port, printed at start).",
)
@click.option(
    "--dev-key",
    is_flag=True,
    envvar=DEV_KEY,
    help="Without NEWSLETTER_SECRET_KEY, use the development-only key the quick start signs "
    "its links with (never in production).",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, dev_key: bool) -> None:
    """Run the web app: supporter pages, the SendGrid event webhook and media.

    Links are signed and checked with NEWSLETTER_SECRET_KEY; without it (and without
    --dev-key) the server does not start. The webhook verifies requests with
    SENDGRID_WEBHOOK_PUBLIC_KEY from the environment and records the events in the project's
    database (see `newsletter report`). The access log never shows a link's token.
    """
    import uvicorn

    from mailer.config import Config
    from mailer.events.store import DatabaseRecorder
    from mailer.settings import load_project
    from mailer.web import create_app
    from mailer.web.accesslog import access_log_config
    from subscribers.errors import MissingSecretKey
    from subscribers.keys import SECRET_KEY_VAR, keys_from_env

    root = project_dir(ctx)
    try:
        keys_from_env(allow_dev=dev_key)
    except MissingSecretKey as exc:
        fail(f"not starting: {exc}")
    with user_errors():
        has_key = Config.from_environ().has_secret_key
    if dev_key and not has_key:
        click.echo(
            f"{SECRET_KEY_VAR} is not set: using the development-only key "
            "(fine with the quick start, never for real supporters)",
            err=True,
        )
    with user_errors():
        project = load_project(root)
    with open_engine(root) as engine:
        with user_errors():
            app = create_app(project, recorder=DatabaseRecorder(engine), dev_key=dev_key)
        uvicorn.run(
            app,
            host=host,
            port=port,
            server_header=False,
            log_level="info",
            log_config=access_log_config(),
        )


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
