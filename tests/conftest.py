"""Shared test fixtures: the emulators, and the adapter as a uvicorn server or as a real process."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulators.odoo_api import OdooApiEmulator
from emulators.ofd import OfdEmulator
from emulators.serving import ServerThread
from kkt_adapter.api.errors import header_limited_protocol
from kkt_adapter.app import create_app
from kkt_adapter.settings import Settings, load_settings
from pytest_opticserp import http_client
from tests.support import OPTICSERP, AdapterProcess, RunningAdapter

FAST_TIMINGS = {
    "sync_interval": 1.0,
    "circuit_breaker_recovery_timeout": 0.5,
    "ofd_timeout": 2.0,
    "ofd_retry_base": 0.05,
    "ofd_retry_max": 0.2,
    "heartbeat_interval": 0.2,
}


@pytest.fixture(scope="session")
def refused_url() -> Iterator[str]:
    """A loopback port that is bound but not listening: every connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def adapter_settings(tmp_path: Path, ofd: OfdEmulator, odoo_api: OdooApiEmulator) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "buffer_db_path": tmp_path / "buffer.db",
            "kkt_print_delay_min_ms": 0,
            "kkt_print_delay_max_ms": 0,
            "kkt_fn_serial": "9999078900012345",
            "ofd_url": ofd.url,
            "odoo_api_url": odoo_api.url,
            **FAST_TIMINGS,
        }
        values.update(overrides)
        return load_settings(None, **values)

    return make


@pytest.fixture
def start_adapter(adapter_settings: Callable[..., Settings]) -> Iterator[Callable[..., RunningAdapter]]:
    """Start an adapter (or several, one after another, sharing the buffer); all are stopped at the end."""
    running: list[RunningAdapter] = []

    def start(wall_ms: Callable[[], int] | None = None, **overrides: Any) -> RunningAdapter:
        settings = adapter_settings(**overrides)
        app = create_app(settings, wall_ms=wall_ms) if wall_ms else create_app(settings)
        http = header_limited_protocol(settings.max_header_bytes, settings.max_header_count)
        server = ServerThread(app, http=http).start()
        adapter = RunningAdapter(settings, server, http_client.client(base_url=server.url, timeout=30))
        running.append(adapter)
        return adapter

    yield start
    for adapter in reversed(running):
        adapter.client.close()
        adapter.server.stop()


@pytest.fixture
def adapter(start_adapter: Callable[..., RunningAdapter]) -> RunningAdapter:
    return start_adapter()


@pytest.fixture
def offline_adapter(start_adapter: Callable[..., RunningAdapter], refused_url: str) -> RunningAdapter:
    """An adapter whose OFD refuses connections, so receipts stay pending."""
    return start_adapter(ofd_url=refused_url)


@pytest.fixture
def run_adapter(tmp_path: Path, ofd: OfdEmulator, odoo_api: OdooApiEmulator) -> Iterator[Callable[..., AdapterProcess]]:
    """Run `opticserp adapter` as a real process wired to the emulators; killed by PID at the end."""
    processes: list[AdapterProcess] = []

    def run(*args: str, **env: str) -> AdapterProcess:
        environment = {
            **os.environ, "BUFFER_DB_PATH": str(tmp_path / "buffer.db"), "KKT_PRINT_DELAY_MIN_MS": "0",
            "KKT_PRINT_DELAY_MAX_MS": "0", "OFD_URL": ofd.url, "ODOO_API_URL": odoo_api.url,
            **{name.upper(): str(value) for name, value in FAST_TIMINGS.items()}, **env,
        }
        log_path = tmp_path / f"adapter-{len(processes)}.log"
        with log_path.open("w") as log:
            process = subprocess.Popen([OPTICSERP, "adapter", *args], cwd=tmp_path, env=environment,
                                       stdout=log, stderr=subprocess.STDOUT, text=True)
        processes.append(AdapterProcess(process, log_path))
        return processes[-1]

    yield run
    for running in processes:
        if running.process.poll() is None:
            running.process.kill()
        running.process.wait(timeout=10)
