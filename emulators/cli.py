"""`opticserp emulator ...`: run an emulator standalone (also `python -m emulators ...`)."""

from __future__ import annotations

import importlib
import os
import signal
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fiscal.header_limits import DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADER_COUNT

if TYPE_CHECKING:
    from emulators.faults import FaultSettings

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
    from emulators.faults import FaultSettings, SettingsError

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
    from emulators.serving import header_limits, serve

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
    from emulators.serving import header_limits, serve

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
        from emulators.serving import header_limits, serve

        serve(create_admin_app(proxy, bind_host=host, allowed_hosts=allowed_host or ()), host=host, port=admin_port,
              log_level=log_level, http=header_limits(max_header_bytes, max_header_count))


def _shtrih_register(state_dir: Path, print_delay: float) -> Any:
    """The Shtrih-M register model on the fiscal drive of `state_dir`."""
    from emulators.shtrih.register import ShtrihRegister

    return ShtrihRegister(state_dir=state_dir, print_delay=print_delay)


def _factory_at(spec: str) -> Callable[..., Any]:
    module, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise typer.BadParameter(f"expected MODULE:CALLABLE, could not load {spec!r}: {exc}") from None


@app.command("shtrih")
def shtrih(
    link: Annotated[Path | None, typer.Option(help="Create a symlink to the pty's device here (an old symlink "
                                                   "is replaced).")] = None,
    tcp_port: int | None = typer.Option(None, min=0, max=65535, help="Serve the frames on TCP too (0 = a free port)."),
    state_dir: Annotated[Path | None, typer.Option(help="Keeps the fiscal drive between runs (default: a temporary "
                                                        "folder, gone at exit).")] = None,
    baud: int = typer.Option(115200, min=0, help="Line speed of the bytes the device sends; 0 = as fast as the pty."),
    print_delay: float = typer.Option(0.0, min=0, max=600, help="Seconds the register takes to print a document."),
    admin_port: int = typer.Option(0, min=0, max=65535, help="Port of the HTTP admin API (0 = a free port)."),
    host: str = typer.Option("127.0.0.1", help=HOST_HELP + " Used for TCP and the admin API."),
    allowed_host: Annotated[list[str] | None, typer.Option(help=ALLOWED_HOST_HELP)] = None,
    register: str | None = typer.Option(None, hidden=True, help="MODULE:CALLABLE building another register."),
) -> None:
    """A Shtrih-M register (protocol v1) on a pseudo-terminal, and on TCP if asked.

    Prints one line saying where it listens; SIGTERM or Ctrl-C stop it and remove the symlink.

    Admin API: GET /device; POST /power/off, /power/on, /paper/out, /paper/in,
    /faults/drop and /faults/corrupt {"count": N, "after": M},
    /faults/late-ack {"delay": S, "count": N}, /faults/missing-ack {"count": N},
    /faults/slow-line {"baud": N or null}, /faults/clear.
    """
    from emulators.shtrih.handle import ShtrihEmulator

    factory = _factory_at(register) if register else _shtrih_register
    with tempfile.TemporaryDirectory(prefix="shtrih-state-") as temporary:
        folder = state_dir or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        emulator = ShtrihEmulator(lambda: factory(state_dir=folder, print_delay=print_delay), link=link, host=host,
                                  tcp_port=tcp_port, baud=baud, admin_port=admin_port,
                                  allowed_hosts=allowed_host or ())
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        try:
            emulator.start()
        except FileExistsError as exc:
            raise typer.BadParameter(str(exc), param_hint="--link") from None
        try:
            where = [f"pty {emulator.pty_path}", f"link {emulator.link_path}"]
            if emulator.tcp_port is not None:
                where.append(f"tcp {host}:{emulator.tcp_port}")
            typer.echo(f"shtrih: {', '.join(where)}, admin {emulator.admin_url}, baud {baud or 'pty speed'}",
                       err=True)
            while not stop.wait(1.0):
                pass
        finally:
            emulator.stop()
