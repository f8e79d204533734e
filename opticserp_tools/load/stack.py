"""The servers a load run starts: an adapter with an OFD emulator, or the no-op app it is compared with.

They are started with the plugin's executors on free ports from `ports.py`, in a throw-away data directory,
and stopped by PID when the run ends, fails or is interrupted.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TypeVar

from opticserp_tools.load.options import LoadError, LoadOptions
from pytest_opticserp.adapter import clean_environment
from pytest_opticserp.executors.base import ServerProcess, ServerStartError
from pytest_opticserp.executors.opticserp import OpticserpProcess, answers
from pytest_opticserp.ports import free_ports

# A load run's backlog must never fill the buffer: the run measures latency, not overflow.
LOAD_BUFFER_SIZE = 1_000_000
NOOP_APP_MODULE = "locustfiles.noop_app"

Server = TypeVar("Server", ServerProcess, OpticserpProcess)


def environment(changes: Mapping[str, str]) -> dict[str, str]:
    """This environment without the adapter's or the OFD emulator's variables: a developer's exported
    MOCK_OFD_FAILURE_MODE must not inject failures into a load run."""
    env = {name: value for name, value in clean_environment().items() if not name.startswith("MOCK_OFD_")}
    env.update(changes)
    return env


@contextlib.contextmanager
def start(server: Server) -> Iterator[Server]:
    """`server` started for the block and stopped by PID after it; a failed start is a LoadError."""
    try:
        try:
            server.start()
        except ServerStartError as exc:
            raise LoadError(str(exc)) from None
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def adapter_stack(options: LoadOptions) -> Iterator[tuple[OpticserpProcess, OpticserpProcess]]:
    """An OFD emulator and an adapter that delivers to it, heartbeats off, the register's print delay given."""
    data = Path(tempfile.mkdtemp(prefix="opticserp-load-"))
    try:
        ofd_port, adapter_port = free_ports(2)
        ofd = OpticserpProcess("ofd", ["emulator", "ofd", "--port", str(ofd_port), "--log-level", "warning"],
                               port=ofd_port, health_path="/ofd/v1/health", logfile=options.report_dir / "ofd.log",
                               cwd=data, inherit=environment({}))
        delay = options.print_delay_ms
        env = {"BUFFER_DB_PATH": str(data / "buffer.db"), "OFD_URL": f"http://127.0.0.1:{ofd_port}",
               "ODOO_API_URL": "", "BUFFER_MAX_SIZE": str(LOAD_BUFFER_SIZE),
               "KKT_PRINT_DELAY_MIN_MS": str(delay.low), "KKT_PRINT_DELAY_MAX_MS": str(delay.high),
               "KKT_ADAPTER_HOST": "127.0.0.1", "KKT_ADAPTER_PORT": str(adapter_port), **options.adapter_env}
        adapter = OpticserpProcess("adapter", ["adapter"], port=adapter_port, health_path="/v1/health",
                                   logfile=options.report_dir / "adapter.log", cwd=data, inherit=environment(env))
        with start(ofd), start(adapter):
            yield ofd, adapter
    finally:
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def noop_server(options: LoadOptions) -> Iterator[tuple[ServerProcess, str]]:
    """The no-op FastAPI app (durable with `--noop-durable`), served as the adapter is."""
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    data = Path(tempfile.mkdtemp(prefix="opticserp-load-noop-"))
    command = [sys.executable, "-m", NOOP_APP_MODULE, "--host", "127.0.0.1", "--port", str(port)]
    if options.noop_durable:
        command += ["--durable", str(data)]
    server = ServerProcess("noop", command, logfile=options.report_dir / "noop.log",
                           is_ready=lambda: answers(f"{url}/v1/health"), startup_timeout=30.0, env=environment({}))
    try:
        with start(server):
            yield server, url
    finally:
        shutil.rmtree(data, ignore_errors=True)
