"""The `opticserp` command: run the adapter and, through sub-commands, the rest of the harness."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from emulators.cli import app as emulator_app

from .app import create_app
from .logs import configure_logging
from .settings import ConfigurationError, load_settings

app = typer.Typer(
    help="OpticsERP fiscal test harness: KKT adapter, emulators and tools.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(emulator_app, name="emulator")


@app.command()
def adapter(
    host: Annotated[str | None, typer.Option(help="Bind address [env KKT_ADAPTER_HOST, default 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Bind port [env KKT_ADAPTER_PORT, default 8000]")] = None,
    env_file: Annotated[Path, typer.Option(help="Settings file read after the environment")] = Path(".env"),
) -> None:
    """Run the KKT adapter (settings from the environment and .env)."""
    overrides = {k: v for k, v in {"kkt_adapter_host": host, "kkt_adapter_port": port}.items() if v is not None}
    try:
        settings = load_settings(env_file if env_file.exists() else None, **overrides)
        configure_logging(settings.log_level)
        application = create_app(settings)
    except ConfigurationError as exc:
        typer.echo(f"opticserp adapter: {exc}", err=True)
        raise typer.Exit(2) from None
    uvicorn.run(
        application,
        host=settings.kkt_adapter_host,
        port=settings.kkt_adapter_port,
        log_config=None,
        access_log=settings.log_level == "DEBUG",
        timeout_graceful_shutdown=10,
    )


def main() -> None:
    app()
