"""`InProcessKktAdapter`: the adapter's app served from the test's own process, for what a process cannot give.

A test that steps the adapter's wall clock (`wall_ms`), or hundreds of request-level tests that would pay a
process start each, use this; a test that kills the adapter uses `KktAdapter` (a real process). Both have
the same helpers (`AdapterHelpers`), so a test reads the same either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from emulators.serving import ServerThread
from kkt_adapter.api.errors import header_limited_protocol
from kkt_adapter.app import create_app
from kkt_adapter.drivers.base import KktDriver
from kkt_adapter.hlc import wall_clock_ms
from kkt_adapter.settings import Settings, load_settings
from pytest_opticserp import http_client
from pytest_opticserp.adapter import AdapterHelpers, auth_headers
from pytest_opticserp.receipts import ReceiptFactory


class InProcessKktAdapter(AdapterHelpers):
    """`create_app(settings)` on a free loopback port; `wall_ms` is the clock the app reads, settable.

    `wall` and `monotonic` are the clocks that schedule delivery (retry backoffs, the breaker's wait, the OFD
    probe): a test that moves them forward makes a long outage pass in an instant.

    `driver` replaces the register the settings name (a broken one, say) from the next `start()`.

    `settings` are the values given (lower-case names, as in the `kkt_adapter` marker); `config` is the
    adapter's own `Settings` built from them. `restart(**changes)` serves a new app on the same buffer.
    """

    def __init__(self, workdir: Path, settings: Mapping[str, Any], *,
                 wall_ms: Callable[[], int] = wall_clock_ms, driver: KktDriver | None = None,
                 wall: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.workdir = workdir
        self.buffer_path = workdir / "buffer.db"
        self.settings = {**settings, "buffer_db_path": self.buffer_path}
        self.wall_ms = wall_ms
        self.wall = wall
        self.monotonic = monotonic
        self.driver = driver
        self.receipts = ReceiptFactory()
        self._server: ServerThread | None = None
        self.config: Settings = load_settings(None, **self.settings)

    @property
    def url(self) -> str:
        assert self._server is not None, "the adapter is not running"
        return self._server.url

    @property
    def port(self) -> int:
        assert self._server is not None, "the adapter is not running"
        return self._server.port

    def running(self) -> bool:
        return self._server is not None

    def start(self) -> InProcessKktAdapter:
        if self._server is not None:
            return self
        self.config = load_settings(None, **self.settings)
        if self.register_device is not None:
            self.register_device.follow(self.config)
        app = create_app(self.config, driver=self.driver, wall_ms=lambda: self.wall_ms(), wall=lambda: self.wall(),
                         monotonic=lambda: self.monotonic())
        http = header_limited_protocol(self.config.max_header_bytes, self.config.max_header_count)
        self._server = ServerThread(app, http=http).start()
        self.client = http_client.client(base_url=self._server.url, timeout=30, headers=auth_headers(self.settings))
        return self

    def stop(self) -> None:
        """Graceful shutdown: the app's lifespan ends as on SIGTERM."""
        server, self._server = self._server, None
        if server is not None:
            self.client.close()
            server.stop()

    def restart(self, **changes: Any) -> InProcessKktAdapter:
        """Stop and serve a new app on the same buffer (a new port), with `changes` to its settings."""
        self.stop()
        self.settings.update(changes)
        return self.start()

    close = stop

    def __repr__(self) -> str:
        where = self._server.url if self._server is not None else "stopped"
        return f"<InProcessKktAdapter {where}>"
