"""The `opticserp` command: run the adapter and, through sub-commands, the rest of the harness."""

from __future__ import annotations

from enum import StrEnum
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
    typer.Argument(help="Services: redis, postgresql, ofd, odoo-api, register, adapter, odoo (default: the whole "
                        "stack)", show_default=False),
]


class Register(StrEnum):
    mock = "mock"
    serial = "serial"


KKT_HELP = (
    "The adapter's register. serial: start the Shtrih-M register emulator (service `register`: a pty linked "
    "at data/kkt, TCP on KKT_REGISTER_PORT) and point the adapter at it (KKT_MODE=real, KKT_DEVICE=its pty, "
    "or its socket:// URL if KKT_DEVICE says so). mock: the adapter's own emulated register. Default: from "
    ".env: KKT_MODE=real with KKT_DEVICE unset or naming the emulator is serial; with another KKT_DEVICE "
    "(/dev/ttyUSB0) the adapter uses that device and no emulator starts. A stack whose register emulator "
    "runs keeps using it (`restart adapter`)."
)


@app.command()
def up(
    services: ServiceNames = None,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Leave the services running and exit")] = False,
    with_postgres: Annotated[bool, typer.Option(help="Also start PostgreSQL (always on when Odoo is)")] = False,
    kkt: Annotated[Register | None, typer.Option(help=KKT_HELP, show_default=False)] = None,
) -> None:
    """Start the development stack (Redis, emulators, adapter; PostgreSQL and Odoo when asked or installed)."""
    from opticserp_tools import devstack

    raise typer.Exit(devstack.up(services or [], detach=detach, with_postgres=with_postgres,
                                 kkt=kkt.value if kkt is not None else None))


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
