"""Fixtures for the emulator tests: real servers on free loopback ports, real clients, no mocks."""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import socketserver
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulators.netfault import NetfaultProxy
from emulators.odoo_api import OdooApiEmulator
from emulators.ofd import OfdEmulator
from pytest_opticserp import http_client
from pytest_opticserp.executors.base import ServerProcess
from pytest_opticserp.executors.opticserp import answers
from pytest_opticserp.ports import PortReservation, reserve_port, shared_port_dir
from pytest_opticserp.waiting import eventually

REPO_ROOT = Path(__file__).resolve().parents[2]

RECEIPT: dict[str, Any] = {
    "fn_serial": "9999078900012345",
    "fiscal_doc_number": 42,
    "fiscal_sign": "2918241905",
    "kkt_reg_number": "0000000001012345",
    "datetime": "2026-11-21T10:15:00+03:00",
    "operation": 1,
    "total": 500000,
    "items": [
        {
            "name": "Очки солнцезащитные Ray-Ban",
            "price": 500000,
            "quantity": "1.000",
            "sum": 500000,
            "vat": 1,
            "subject_sign": 1,
            "payment_method_sign": 4,
            "unit": 0,
        }
    ],
    "payments": {"cash": 0, "electronic": 500000},
    "taxation_system": 1,
    "ffd_version": 4,
    "shift_number": 1,
    "receipt_number": 1,
}


@pytest.fixture
def make_receipt() -> Callable[..., dict[str, Any]]:
    """A valid fiscal document, with top-level fields overridden: `make_receipt(fiscal_doc_number=43)`."""

    def make(**overrides: Any) -> dict[str, Any]:
        return {**copy.deepcopy(RECEIPT), **overrides}

    return make


# The plugin's `ofd` and `odoo_api` fixtures give one server per session, reset before each test; tests that
# need other settings start their own instance.
@pytest.fixture(scope="session")
def _ofd_client(opticserp_ofd_server: OfdEmulator) -> Iterator[httpx.Client]:
    with http_client.client(base_url=opticserp_ofd_server.url, timeout=10) as client:
        yield client


@pytest.fixture
def ofd_client(ofd: OfdEmulator, _ofd_client: httpx.Client) -> httpx.Client:
    return _ofd_client


@pytest.fixture(scope="session")
def _odoo_client(opticserp_odoo_api_server: OdooApiEmulator) -> Iterator[httpx.Client]:
    with http_client.client(base_url=opticserp_odoo_api_server.url, timeout=10) as client:
        yield client


@pytest.fixture
def odoo_client(odoo_api: OdooApiEmulator, _odoo_client: httpx.Client) -> httpx.Client:
    return _odoo_client


@pytest.fixture
def curl() -> Callable[..., Any]:
    """Run the real curl binary with the given arguments; returns its stdout parsed as JSON."""
    binary = shutil.which("curl")
    if binary is None:
        pytest.skip("curl is not installed; the seed's commands need it")

    def run(*args: str) -> Any:
        done = subprocess.run([binary, "-sS", *args], capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 0, f"curl {' '.join(args)} failed ({done.returncode}): {done.stderr}"
        return httpx.Response(200, content=done.stdout.encode()).json()

    return run


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        with contextlib.suppress(OSError):
            while data := self.request.recv(65536):
                self.request.sendall(data)


class GreetAndClose(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"bye\n")


class TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


@contextlib.contextmanager
def serve_tcp(handler: type[socketserver.BaseRequestHandler]) -> Iterator[tuple[str, int]]:
    server = TcpServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield str(host), int(port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="session")
def echo_server() -> Iterator[tuple[str, int]]:
    """(host, port) of a TCP upstream that echoes every byte back; stateless, so shared."""
    with serve_tcp(Echo) as address:
        yield address


@pytest.fixture(scope="session")
def closing_server() -> Iterator[tuple[str, int]]:
    """(host, port) of a TCP upstream that says "bye" and closes at once."""
    with serve_tcp(GreetAndClose) as address:
        yield address


@pytest.fixture
def proxy(echo_server: tuple[str, int]) -> Iterator[NetfaultProxy]:
    with NetfaultProxy(echo_server, seed=1) as running:
        yield running


@pytest.fixture
def free_port(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], int]]:
    """A port nothing listens on and no other test worker claims, for a subprocess to bind."""
    reservations: list[PortReservation] = []

    def claim() -> int:
        reservations.append(reserve_port(shared_port_dir(request.config, tmp_path_factory), "emulator-cli"))
        return reservations[-1].port

    yield claim
    for reservation in reservations:
        reservation.release()


class CliProcess:
    """An emulator started as `python -m emulators ...` through the plugin's launcher; output goes to a file."""

    def __init__(self, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.args = args
        self.server = ServerProcess(f"emulators {' '.join(args)}", [sys.executable, "-m", "emulators", *args],
                                    logfile=log_dir / "output.log", cwd=REPO_ROOT, env=env).start()

    def output(self) -> str:
        return self.server.logfile.read_text(errors="replace")

    def wait_until_healthy(self, url: str, timeout: float = 20.0) -> None:
        """Wait until `url` answers 200; fail at once, with the output, if the command exits instead."""
        eventually(lambda: not self.server.running() or answers(url), f"`{' '.join(self.args)}` to answer {url}",
                   lambda: self.output()[-2000:], timeout=timeout)
        if not self.server.running():
            pytest.fail(f"`{' '.join(self.args)}` exited with {self.server.wait(0)}:\n{self.output()}")

    def wait_exit(self, timeout: float = 30.0) -> int:
        """For a command expected to fail at start: its exit code (output via `output()`)."""
        try:
            return self.server.wait(timeout)
        except TimeoutError:
            pytest.fail(f"`{' '.join(self.args)}` still running after {timeout}s:\n{self.output()}")

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def run_cli(tmp_path: Path) -> Iterator[Callable[..., CliProcess]]:
    """Start `python -m emulators ARGS` (env: ours plus `env`); every process is stopped by PID at teardown."""
    started: list[CliProcess] = []

    def run(*args: str, env: dict[str, str] | None = None) -> CliProcess:
        log_dir = tmp_path / f"cli-{len(started)}"
        log_dir.mkdir()
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCK_OFD_", "MOCK_ODOO_"))}
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
        full_env.update(env or {})
        started.append(CliProcess(list(args), full_env, log_dir))
        return started[-1]

    yield run
    for process in started:
        process.stop()
