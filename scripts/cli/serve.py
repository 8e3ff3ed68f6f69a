"""rmledger subcommand: serve, the web application and the HTTP API (docs/web.md).
Each module lists its click commands in COMMANDS."""

from __future__ import annotations

import click

from domain.store import StoreProblem
from scripts.cli.context import Context
from scripts.cli.options import HOST
from scripts.cli.seal_key import SealKeyProblem
from scripts.identity.sso import SsoMisconfigured


@click.command()
@click.option(
    "--host",
    type=HOST,
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (keep the loopback behind a TLS proxy).",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on.",
)
@click.pass_obj
def serve(ctx: Context, host: str, port: int) -> None:
    """Serve the web application and the HTTP API on this store until interrupted."""
    import uvicorn

    from scripts.web.app import create_app
    from scripts.web.settings import Settings

    try:
        app = create_app(Settings.from_env(ctx.data_dir, port=port))
    except (StoreProblem, SealKeyProblem, SsoMisconfigured, ValueError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"rmledger serves {ctx.data_dir} on http://{host}:{port} (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


COMMANDS: list[click.Command] = [serve]
