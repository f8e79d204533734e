"""`opticserp emulator ...`: run an emulator standalone (also `python -m emulators ...`)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from emulators.faults import FaultSettings, SettingsError
from emulators.serving import header_limits, serve
from fiscal.http_limits import DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADER_COUNT

app = typer.Typer(help="Run an emulator (OFD, Odoo API, network fault proxy) standalone.", no_args_is_help=True)

HOST_HELP = "Interface to bind; loopback unless you mean to expose it."
ALLOWED_HOST_HELP = ("A Host name the admin endpoints answer besides loopback and --host (repeat for more; "
                     "* answers any). Against DNS rebinding: see emulators/_guard.py.")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
MaxHeaderBytes = Annotated[int, typer.Option(min=1024, max=1024 * 1024, help="Longer request line + headers get 431.")]
MaxHeaderCount = Annotated[int, typer.Option(min=1, max=10_000, help="More header lines get 431.")]


def _check_log_level(value: str) -> str:
    if value not in LOG_LEVELS:
        raise typer.BadParameter(f"one of {', '.join(LOG_LEVELS)}")
    return value


def _fault_settings(prefix: str) -> FaultSettings:
    try:
        return FaultSettings.from_env(os.environ, prefix)
    except SettingsError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command("ofd")
def ofd(
    host: str = typer.Option("127.0.0.1", help=HOST_HELP),
    port: int = typer.Option(9000, min=1, max=65535),
    log_level: str = typer.Option("info", callback=_check_log_level),
    allowed_host: Annotated[list[str] | None, typer.Option(help=ALLOWED_HOST_HELP)] = None,
    max_header_bytes: MaxHeaderBytes = DEFAULT_MAX_HEADER_BYTES,
    max_header_count: MaxHeaderCount = DEFAULT_MAX_HEADER_COUNT,
) -> None:
    """The OFD emulator (/ofd/v1/...).

    Reads MOCK_OFD_FAILURE_MODE (disabled|count|permanent), MOCK_OFD_FAILURE_COUNT and
    MOCK_OFD_RESPONSE_DELAY (seconds) at start.
    """
    from emulators.ofd import OfdState, create_app

    state = OfdState(_fault_settings("MOCK_OFD_"))
    application = create_app(state, bind_host=host, allowed_hosts=allowed_host or ())
    serve(application, host=host, port=port, log_level=log_level, on_shutdown=state.faults.release_held,
          http=header_limits(max_header_bytes, max_header_count))


@app.command("odoo-api")
def odoo_api(
    host: str = typer.Option("127.0.0.1", help=HOST_HELP),
    port: int = typer.Option(8070, min=1, max=65535),
    log_level: str = typer.Option("info", callback=_check_log_level),
    allowed_host: Annotated[list[str] | None, typer.Option(help=ALLOWED_HOST_HELP)] = None,
    max_header_bytes: MaxHeaderBytes = DEFAULT_MAX_HEADER_BYTES,
    max_header_count: MaxHeaderCount = DEFAULT_MAX_HEADER_COUNT,
) -> None:
    """The Odoo API emulator (/api/v1/..., heartbeats).

    Reads MOCK_ODOO_FAILURE_MODE, MOCK_ODOO_FAILURE_COUNT and MOCK_ODOO_RESPONSE_DELAY, like the OFD's.
    """
    from emulators.odoo_api import OdooApiState, create_app

    state = OdooApiState(_fault_settings("MOCK_ODOO_"))
    application = create_app(state, bind_host=host, allowed_hosts=allowed_host or ())
    serve(application, host=host, port=port, log_level=log_level, on_shutdown=state.faults.release_held,
          http=header_limits(max_header_bytes, max_header_count))


@app.command("netfault")
def netfault(
    listen_port: int = typer.Option(..., min=1, max=65535, help="Port clients connect to."),
    upstream: str = typer.Option(..., help="HOST:PORT the proxy forwards to."),
    admin_port: int = typer.Option(8474, min=1, max=65535, help="Port of the HTTP admin API."),
    host: str = typer.Option("127.0.0.1", help=HOST_HELP + " Used for the listener and the admin API."),
    seed: int | None = typer.Option(None, help="Seed for latency jitter, to replay a run."),
    log_level: str = typer.Option("info", callback=_check_log_level),
    allowed_host: Annotated[list[str] | None, typer.Option(help=ALLOWED_HOST_HELP)] = None,
    max_header_bytes: MaxHeaderBytes = DEFAULT_MAX_HEADER_BYTES,
    max_header_count: MaxHeaderCount = DEFAULT_MAX_HEADER_COUNT,
) -> None:
    """A TCP fault proxy with Toxiproxy-like toxics.

    Toxics: down, blackhole, latency, reset_peer, bandwidth, slow_close.
    Admin API: GET /proxy, GET|POST /toxics, DELETE /toxics/NAME, POST /proxy/disable, /proxy/enable, /reset.
    """
    from emulators.netfault import NetfaultProxy, create_admin_app, parse_address

    try:
        target = parse_address(upstream)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--upstream") from None
    with NetfaultProxy(target, host=host, port=listen_port, seed=seed) as proxy:
        typer.echo(
            f"netfault: {host}:{proxy.port} -> {target[0]}:{target[1]}, admin on {host}:{admin_port}",
            err=True,
        )
        serve(create_admin_app(proxy, bind_host=host, allowed_hosts=allowed_host or ()), host=host, port=admin_port,
              log_level=log_level, http=header_limits(max_header_bytes, max_header_count))
