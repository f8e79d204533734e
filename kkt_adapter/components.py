"""The adapter's parts, built from settings and wired once; the app and the CLI take them from here."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .breaker import CircuitBreaker
from .buffer import ReceiptBuffer
from .drivers.base import KktDriver
from .drivers.mock import MockKkt
from .heartbeat import Heartbeat
from .hlc import HybridLogicalClock, Timestamp, wall_clock_ms
from .lock import SyncLock
from .metrics import Metrics
from .network import NetworkMonitor
from .ofd_client import HttpOfd, InProcessOfd, Ofd
from .service import FiscalService
from .settings import ConfigurationError, Settings
from .sync import RetryPolicy, SyncWorker
from .vat import tag_table


def build_driver(settings: Settings) -> KktDriver:
    if settings.kkt_mode == "real":
        raise ConfigurationError(
            "KKT_MODE: 'real' needs the serial register driver, which this version does not have yet; "
            "use KKT_MODE=mock"
        )
    zone = ZoneInfo(settings.kkt_timezone)
    offset = timedelta(seconds=settings.kkt_clock_offset_seconds)
    return MockKkt(
        settings.fn_state_path,
        sign_key=settings.kkt_sign_key.get_secret_value().encode(),
        kkt_reg_number=settings.kkt_reg_number,
        fn_serial=settings.kkt_fn_serial,
        print_delay=settings.print_delay_seconds,
        clock=lambda: datetime.now(zone) + offset,
    )


def build_ofd(settings: Settings) -> Ofd:
    if settings.ofd_mode == "mock":
        return InProcessOfd()
    return HttpOfd(settings.ofd_base_url, settings.ofd_timeout, settings.ofd_max_concurrency)


def sync_lock_name(settings: Settings) -> str:
    """One lock per buffer: instances sharing a buffer file share the lock."""
    digest = hashlib.sha256(str(settings.buffer_db_path.resolve()).encode()).hexdigest()[:16]
    return f"opticserp:kkt-sync:{digest}"


@dataclass
class Components:
    settings: Settings
    buffer: ReceiptBuffer
    driver: KktDriver
    service: FiscalService
    breaker: CircuitBreaker
    network: NetworkMonitor
    ofd: Ofd
    lock: SyncLock
    worker: SyncWorker
    metrics: Metrics
    heartbeat: Heartbeat | None = None

    @classmethod
    async def start(cls, settings: Settings, driver: KktDriver | None = None,
                    wall_ms: Callable[[], int] = wall_clock_ms) -> Components:
        """Open the stores, finish any half-done receipt, then start delivery and heartbeats."""
        async with contextlib.AsyncExitStack() as stack:
            driver = driver or build_driver(settings)
            offset_ms = round(settings.kkt_clock_offset_seconds * 1000)

            def local_ms() -> int:
                return wall_ms() + offset_ms

            buffer = ReceiptBuffer(settings.buffer_db_path, local_ms)
            await buffer.open()
            stack.push_async_callback(buffer.close)
            await driver.open()
            stack.push_async_callback(driver.close)
            newest = await buffer.newest_hlc()
            clock = HybridLogicalClock(settings.kkt_adapter_id, local_ms,
                                       Timestamp.decode(newest) if newest else None)
            metrics = Metrics()
            service = FiscalService(buffer, driver, capacity=settings.buffer_max_size, clock=clock,
                                    vat_tags=tag_table(settings.vat_tag_overrides),
                                    taxation_system=settings.kkt_taxation_system, metrics=metrics)
            await service.recover()
            ofd = build_ofd(settings)
            await ofd.open()
            stack.push_async_callback(ofd.close)
            lock = SyncLock(settings.redis_url, sync_lock_name(settings), lease=max(30.0, 3 * settings.ofd_timeout))
            await lock.open()
            stack.push_async_callback(lock.close)
            breaker = CircuitBreaker(settings.circuit_breaker_threshold, settings.circuit_breaker_recovery_timeout)
            network = NetworkMonitor()
            worker = SyncWorker(
                buffer, ofd, breaker, network, lock, metrics,
                interval=settings.sync_interval, batch_size=settings.sync_batch_size,
                concurrency=settings.ofd_max_concurrency,
                retry=RetryPolicy(settings.ofd_max_attempts, settings.ofd_retry_base, settings.ofd_retry_max),
                probe_interval=settings.ofd_probe_interval,
            )
            service.on_fiscalized = worker.wake
            components = cls(settings, buffer, driver, service, breaker, network, ofd, lock, worker, metrics)
            if settings.odoo_api_url is not None:
                from .health import heartbeat_snapshot

                components.heartbeat = Heartbeat(
                    str(settings.odoo_api_url), settings.heartbeat_interval, settings.kkt_adapter_id,
                    lambda: heartbeat_snapshot(components), metrics,
                )
            stack.pop_all()
        components.worker.start()
        components.worker.wake()
        if components.heartbeat is not None:
            components.heartbeat.start()
        return components

    async def stop(self) -> None:
        if self.heartbeat is not None:
            await self.heartbeat.stop()
        await self.worker.stop()
        for close in (self.lock.close, self.ofd.close, self.driver.close, self.buffer.close):
            with contextlib.suppress(Exception):
                await close()
