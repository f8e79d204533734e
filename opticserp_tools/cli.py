"""The `opticserp` command: run the adapter and, through sub-commands, the rest of the harness."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from emulators.cli import app as emulator_app
from opticserp_tools.load.command import load as load_command

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
    from kkt_adapter.server import run

    raise typer.Exit(run(host, port, env_file, prog="opticserp adapter"))


ServiceNames = Annotated[
    list[str] | None,
    typer.Argument(help="Services: redis, postgresql, ofd, odoo-api, adapter, odoo (default: the whole stack)",
                   show_default=False),
]


@app.command()
def up(
    services: ServiceNames = None,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Leave the services running and exit")] = False,
    with_postgres: Annotated[bool, typer.Option(help="Also start PostgreSQL (always on when Odoo is)")] = False,
) -> None:
    """Start the development stack (Redis, emulators, adapter; PostgreSQL and Odoo when asked or installed)."""
    from opticserp_tools import devstack

    raise typer.Exit(devstack.up(services or [], detach=detach, with_postgres=with_postgres))


@app.command()
def status() -> None:
    """Show the stack's services with their URLs, PIDs and live health."""
    from opticserp_tools import devstack

    raise typer.Exit(devstack.status())


@app.command()
def down(services: ServiceNames = None) -> None:
    """Stop the stack's services (all, or those named), by the PIDs recorded in .opticserp/."""
    from opticserp_tools import devstack

    raise typer.Exit(devstack.down(services or []))


@app.command()
def restart(services: ServiceNames = None) -> None:
    """Stop services (those running, or those named) and start them again in the background."""
    from opticserp_tools import devstack

    raise typer.Exit(devstack.restart(services or []))


@app.command()
def logs(
    services: ServiceNames = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C")] = False,
    tail: Annotated[int | None, typer.Option("--tail", "-n", min=0, help="Only the last N lines of each")] = None,
) -> None:
    """Print the services' logs, each line prefixed with its service."""
    from opticserp_tools import devstack

    raise typer.Exit(devstack.logs(services or [], follow=follow, tail=tail))


app.command(name="load")(load_command)


def main() -> None:
    app()
