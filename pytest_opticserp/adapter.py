"""`KktAdapter`: a real `opticserp adapter` process for a test, with a client and the helpers tests need.

The adapter runs as its own process (not in the test's interpreter) so that a test can kill it with SIGKILL
at any moment and start it again on the same buffer, as a power cut and a reboot would.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from pytest_opticserp import http_client
from pytest_opticserp.executors.base import SPAWN, Launcher
from pytest_opticserp.executors.opticserp import OpticserpProcess
from pytest_opticserp.receipts import ReceiptFactory
from pytest_opticserp.waiting import eventually

if TYPE_CHECKING:
    from kkt_adapter.settings import Settings

TEST_TIMINGS: dict[str, Any] = {
    "kkt_print_delay_min_ms": 0,
    "kkt_print_delay_max_ms": 0,
    "sync_interval": 1.0,
    "circuit_breaker_threshold": 3,
    "circuit_breaker_recovery_timeout": 1.0,
    "ofd_timeout": 2.0,
    "ofd_retry_base": 0.05,
    "ofd_retry_max": 0.5,
    # One beat at start-up; a test about heartbeats asks for more (`@pytest.mark.kkt_adapter(heartbeat_interval=
    # 0.5)`). Every beat reads the register and the buffer: at 0.5 s an idle adapter used 3x the CPU.
    "heartbeat_interval": 5.0,
}


class AdapterHelpers:
    """What a test does with an adapter over HTTP, whether it runs as a process or in the test's process.

    Needs `client` (an httpx client on the adapter's URL), `buffer_path` and `receipts` from the subclass.
    """

    client: httpx.Client
    buffer_path: Path
    receipts: ReceiptFactory
    register_device: Any = None  # the serial register it is pointed at (KKT_MODE=real), if any

    def post_receipt(self, body: dict[str, Any] | None = None, key: str | None = None,
                     **kwargs: Any) -> httpx.Response:
        """POST a receipt (the seed's sale by default) with `key` (a fresh one by default)."""
        headers = {"X-Idempotency-Key": key or ReceiptFactory.key()}
        return self.client.post("/v1/kkt/receipt", json=body if body is not None else self.receipts(),
                                headers=headers, **kwargs)

    def register_call(self, path: str, body: dict[str, Any] | None = None, key: str | None = None) -> httpx.Response:
        """POST /v1/kkt/`path` (`correction`, `cash/in`, `cash/out`, `fn/state-report`, `shift/open`, ...) with
        `key` (a fresh one by default)."""
        headers = {"X-Idempotency-Key": key or ReceiptFactory.key()}
        return self.client.post(f"/v1/kkt/{path}", json=body, headers=headers)

    def shift_call(self, action: str, body: dict[str, Any] | None = None, key: str | None = None) -> httpx.Response:
        """POST /v1/kkt/shift/`action` (`open`, `close`, `x-report`) with `key` (a fresh one by default)."""
        return self.register_call(f"shift/{action}", body, key)

    def shift(self) -> dict[str, Any]:
        """The register's shift state (GET /v1/kkt/shift)."""
        return self._get("/v1/kkt/shift")

    def status(self) -> dict[str, Any]:
        return self._get("/v1/kkt/buffer/status")

    def accepted(self) -> int:
        """Receipts the adapter holds, delivered or not: 0 after a refused request."""
        status = self.status()
        return status["fiscalizing_count"] + status["pending_count"] + status["synced_count"] + status["dlq_count"]

    def health(self) -> dict[str, Any]:
        response = self.client.get("/v1/health")
        return response.json()

    def sync_now(self) -> dict[str, Any]:
        response = self.client.post("/v1/kkt/buffer/sync")
        response.raise_for_status()
        return response.json()

    def dlq(self) -> list[dict[str, Any]]:
        return self._get("/v1/kkt/dlq")["entries"]

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the buffer directly, as the guide's `sqlite3 buffer.db` does."""
        with sqlite3.connect(f"file:{self.buffer_path}?mode=ro", uri=True) as db:
            return db.execute(sql, params).fetchall()

    def wait_until_synced(self, count: int, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until `count` receipts are synced and none is pending; returns the buffer status."""
        __tracebackhide__ = True
        return eventually(lambda: (s := self.status())["synced_count"] == count and s["pending_count"] == 0 and s,
                          f"{count} receipt(s) synced and none pending", self.status, timeout=timeout)

    def wait_for_breaker(self, state: str, timeout: float = 10.0) -> dict[str, Any]:
        __tracebackhide__ = True
        return eventually(lambda: (h := self.health())["circuit_breaker"] == state and h,
                          f"the circuit breaker to be {state}", self.health, timeout=timeout)

    def wait_for_network(self, status: str, timeout: float = 10.0) -> dict[str, Any]:
        __tracebackhide__ = True
        return eventually(lambda: (s := self.status())["network_status"] == status and s,
                          f"network_status {status}", self.status, timeout=timeout)

    def _get(self, path: str) -> dict[str, Any]:
        response = self.client.get(path)
        response.raise_for_status()
        return response.json()


class KktAdapter(AdapterHelpers):
    """The adapter under test: `url`, `client`, `settings` (as given to the process) and helpers.

    `launcher` starts its process: a new interpreter (`SPAWN`), or a fork of a warm parent (`executors.warm`).
    """

    def __init__(self, port: int, workdir: Path, settings: Mapping[str, Any], startup_timeout: float = 30.0,
                 launcher: Launcher = SPAWN) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self.workdir = workdir
        self.settings = dict(settings)
        self.buffer_path = workdir / "buffer.db"
        env = {name.upper(): _env_value(value) for name, value in self.settings.items()}
        env.update({"BUFFER_DB_PATH": str(self.buffer_path), "KKT_ADAPTER_PORT": str(port),
                    "KKT_ADAPTER_HOST": "127.0.0.1"})
        self.env = env
        self._process = OpticserpProcess(
            "kkt-adapter", ["adapter"], port=port, health_path="/v1/health", logfile=workdir / "adapter.log",
            env=env, cwd=workdir, inherit=clean_environment(),
            startup_timeout=startup_timeout, healthy_statuses=(200, 503), launcher=launcher,
        )
        self.url = self._process.url
        self.client = http_client.client(base_url=self.url, timeout=30, headers=auth_headers(self.settings))
        self.receipts = ReceiptFactory()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def startup_seconds(self) -> float:
        return self._process.startup_seconds

    def running(self) -> bool:
        return self._process.running()

    @property
    def command(self) -> list[str]:
        """The command line it runs; its settings travel in its environment (`env`)."""
        return self._process.command

    @property
    def returncode(self) -> int | None:
        """How the last run ended: 2 for settings it refused, 0 or -SIGTERM after a stop."""
        return self._process.returncode

    def start(self) -> KktAdapter:
        if self.register_device is not None:
            self.register_device.follow(self.config)
        self._process.start()
        return self

    def stop(self) -> None:
        """Graceful shutdown (SIGTERM)."""
        self._process.stop()

    def kill(self) -> None:
        """SIGKILL, as a power cut: nothing is flushed or closed by the adapter."""
        self._process.kill()

    def restart(self, *, kill: bool = False, **changes: Any) -> KktAdapter:
        """Stop (or kill) and start again on the same port and buffer, with `changes` to its settings."""
        self.kill() if kill else self.stop()
        if changes:
            self.settings.update(changes)
            env = {name.upper(): _env_value(value) for name, value in changes.items()}
            self.env.update(env)
            self._process.update_env(env)
            self.client.headers.pop("Authorization", None)
            self.client.headers.update(auth_headers(self.settings))
        return self.start()

    def setting(self, name: str) -> Any:
        """The value the process runs with: the one given (fixture, marker, restart), else the adapter's default.

        Tests read limits from here rather than repeating a default that may change."""
        if name in self.settings:
            return self.settings[name]
        from kkt_adapter.settings import Settings

        return Settings.model_fields[name].default

    @property
    def fiscal_drive_path(self) -> Path:
        """The register's fiscal drive: the mock register's own SQLite file beside the buffer (unless
        KKT_STATE_PATH says), or the serial register emulator's."""
        if self.register_device is not None:
            return self.register_device.fiscal_drive_path
        path = self.config.fn_state_path
        return path if path.is_absolute() else self.workdir / path

    @property
    def config(self) -> Settings:
        """The adapter's own `Settings` as the process builds them: from the values it is given, every other one
        its default (the process gets none of this process's adapter variables, and no `.env`)."""
        from kkt_adapter.settings import Settings, load_settings

        defaults = {name: field.get_default(call_default_factory=True) for name, field in Settings.model_fields.items()
                    if not field.is_required()}
        return load_settings(None, **{**defaults, **self.settings, "buffer_db_path": self.buffer_path,
                                      "kkt_adapter_port": self.port, "kkt_adapter_host": self.host})

    def close(self) -> None:
        self.client.close()
        self._process.stop()

    def log(self) -> str:
        return self._process.log()

    def __repr__(self) -> str:
        return f"<KktAdapter {self.url} pid={self.pid}>"


def auth_headers(settings: Mapping[str, Any]) -> dict[str, str]:
    """The bearer header for an adapter given `kkt_api_token`, so the helpers work with or without one."""
    token = settings.get("kkt_api_token")
    return {"Authorization": f"Bearer {token}"} if token else {}


def adapter_variables() -> set[str]:
    """Every environment variable the adapter reads, aliases included."""
    from kkt_adapter.settings import Settings

    names = set()
    for name, field in Settings.model_fields.items():
        names.add(name.upper())
        choices = getattr(field.validation_alias, "choices", None) or []
        names.update(str(choice).upper() for choice in choices)
    return names


def clean_environment() -> dict[str, str]:
    """This process's environment without the adapter's variables: a developer's exported SYNC_INTERVAL
    must not change what a test's adapter does."""
    import os

    banned = adapter_variables()
    return {name: value for name, value in os.environ.items() if name.upper() not in banned}


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        import json

        return json.dumps(value)
    return str(value)
