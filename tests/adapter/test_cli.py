"""`opticserp adapter` as a user runs it: a real process, stopped by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .support import seed_receipt

OPTICSERP = str(Path(sys.executable).with_name("opticserp"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"adapter exited with {process.returncode}: {process.stderr.read()}")
        try:
            response = httpx.get(f"{url}/v1/health", timeout=1)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text}"
        except httpx.TransportError as exc:
            last = repr(exc)
        time.sleep(0.05)
    raise AssertionError(f"adapter at {url} not healthy within {timeout}s; last: {last}")


@pytest.fixture
def run_adapter(tmp_path: Path) -> Iterator:
    processes: list[subprocess.Popen] = []

    def run(*args: str, **env: str) -> subprocess.Popen:
        environment = {**os.environ, "BUFFER_DB_PATH": str(tmp_path / "buffer.db"),
                       "KKT_PRINT_DELAY_MIN_MS": "0", "KKT_PRINT_DELAY_MAX_MS": "0", **env}
        process = subprocess.Popen([OPTICSERP, "adapter", *args], cwd=tmp_path, env=environment,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        processes.append(process)
        return process

    yield run
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def test_the_adapter_command_serves_receipts_and_stops_on_sigterm(run_adapter) -> None:
    port = free_port()
    process = run_adapter("--port", str(port))
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, process)

    response = httpx.post(f"{url}/v1/kkt/receipt", json=seed_receipt(), headers={"X-Idempotency-Key": "cli"})
    assert response.status_code == 200

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after shutdown
    assert "Application shutdown complete" in process.stderr.read()


def test_the_adapter_reads_its_port_from_the_environment(run_adapter) -> None:
    port = free_port()
    process = run_adapter(KKT_ADAPTER_PORT=str(port))
    wait_until_healthy(f"http://127.0.0.1:{port}", process)


def test_an_invalid_variable_stops_start_up_naming_it(run_adapter) -> None:
    process = run_adapter(SYNC_INTERVAL="soon")
    assert process.wait(timeout=15) == 2
    stderr = process.stderr.read()
    assert "SYNC_INTERVAL" in stderr and "soon" in stderr
    assert "Traceback" not in stderr


def test_the_real_register_mode_says_what_is_missing(run_adapter) -> None:
    process = run_adapter(KKT_MODE="real")
    assert process.wait(timeout=15) == 2
    assert "KKT_MODE" in process.stderr.read()
