"""Helpers for the adapter tests: the seed's receipt and a handle on a running adapter."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from emulators.serving import ServerThread
from kkt_adapter.settings import Settings
from pytest_opticserp import http_client


def seed_receipt(**changes: Any) -> dict[str, Any]:
    """The guide's §3.6 body, as its curl command sends it."""
    body = {
        "pos_id": "POS-001",
        "items": [{"name": "Очки солнцезащитные Ray-Ban", "quantity": 1, "price": 5000.00, "tax_rate": 20}],
        "total": 5000.00,
        "payment_method": "card",
    }
    body.update(changes)
    return body


@dataclass
class RunningAdapter:
    settings: Settings
    server: ServerThread
    client: httpx.Client

    @property
    def url(self) -> str:
        return self.server.url

    def post_receipt(self, body: dict[str, Any] | None = None, key: str | None = "key-1",
                     **kwargs: Any) -> httpx.Response:
        headers = {"X-Idempotency-Key": key} if key is not None else {}
        return self.client.post("/v1/kkt/receipt", json=body or seed_receipt(), headers=headers, **kwargs)

    def accepted(self) -> int:
        """Receipts the adapter holds, delivered or not."""
        status = self.status()
        return status["fiscalizing_count"] + status["pending_count"] + status["synced_count"] + status["dlq_count"]

    def health(self) -> dict[str, Any]:
        return self.client.get("/v1/health").json()

    def status(self) -> dict[str, Any]:
        response = self.client.get("/v1/kkt/buffer/status")
        response.raise_for_status()
        return response.json()


def stop(adapter: RunningAdapter) -> None:
    adapter.client.close()
    adapter.server.stop()


def eventually(condition: Callable[[], object], what: str, last_seen: Callable[[], object] | None = None,
               timeout: float = 10.0, interval: float = 0.02) -> None:
    """Wait until `condition()` is true, or fail saying what was awaited and what was last seen."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            seen = f"; last seen: {last_seen()!r}" if last_seen else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{seen}")
        time.sleep(interval)


OPTICSERP = str(Path(sys.executable).with_name("opticserp"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AdapterProcess:
    """An `opticserp adapter` process and the file its output goes to."""

    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


def wait_until_healthy(url: str, running: AdapterProcess, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise AssertionError(f"adapter exited with {running.process.returncode}: {running.log()}")
        try:
            response = http_client.get(f"{url}/v1/health", timeout=1)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text}"
        except httpx.TransportError as exc:
            last = repr(exc)
        time.sleep(0.05)
    raise AssertionError(f"adapter at {url} not healthy within {timeout}s; last: {last}")
