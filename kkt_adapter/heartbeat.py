"""Heartbeat to the Odoo API: the adapter's state every HEARTBEAT_INTERVAL seconds.

Odoo shows from it whether a shop's register is alive and how many receipts wait for the OFD. It runs on
its own task with its own short timeout; its failures are logged and counted, never felt by receipts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp

from fiscal.redact import redact_text, redact_url

from .background import BackgroundTask
from .metrics import Metrics

log = logging.getLogger(__name__)


class Heartbeat:
    def __init__(self, url: str, interval: float, adapter_id: str,
                 snapshot: Callable[[], Awaitable[dict[str, Any]]], metrics: Metrics,
                 timeout: float = 5.0) -> None:
        self._url = url.rstrip("/") + "/api/v1/kkt/heartbeat"
        self._interval = interval
        self._adapter_id = adapter_id
        self._snapshot = snapshot
        self._metrics = metrics
        self._timeout = aiohttp.ClientTimeout(total=min(timeout, interval))
        self._task = BackgroundTask("heartbeat", self._loop)
        self.sent = 0
        self.failed = 0
        self.last_error: str | None = None
        self.last_sent_at: str | None = None

    def status(self) -> dict[str, Any]:
        return {"url": redact_url(self._url), "interval": self._interval, "sent": self.sent, "failed": self.failed,
                "last_sent_at": self.last_sent_at, "last_error": self.last_error}

    def start(self) -> None:
        self._task.start()

    async def stop(self) -> None:
        await self._task.stop()

    async def _loop(self) -> None:
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            while True:
                await self.beat(session)
                await asyncio.sleep(self._interval)

    async def beat(self, session: aiohttp.ClientSession) -> bool:
        try:
            body = {"adapter_id": self._adapter_id, "timestamp": datetime.now(UTC).isoformat(),
                    **await self._snapshot()}
            async with session.post(self._url, json=body) as response:
                if response.status != 200:
                    raise RuntimeError(f"Odoo API answered {response.status}: {(await response.text())[:200]}")
        except Exception as exc:  # any failure: counted and logged, never raised into the adapter
            self.failed += 1
            self.last_error = redact_text(f"{type(exc).__name__}: {exc}")
            self._metrics.heartbeats.labels("failed").inc()
            log.warning("heartbeat failed", extra={"error": self.last_error})
            return False
        self.sent += 1
        self.last_error = None
        self.last_sent_at = body["timestamp"]
        self._metrics.heartbeats.labels("sent").inc()
        return True
