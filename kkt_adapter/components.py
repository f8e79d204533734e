"""The adapter's parts, built from settings and wired once; the app and the CLI take them from here."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.metadata import entry_points
from typing import Any
from zoneinfo import ZoneInfo

from fiscal.fn import FiscalDrive

from . import __version__
from .acks import FnAcknowledgements
from .breaker import CircuitBreaker
from .buffer import ReceiptBuffer
from .drivers.base import KktDriver
from .drivers.mock import MockKkt, mock_fiscal_drive, new_fn_serial
from .heartbeat import Heartbeat
from .hlc import HybridLogicalClock, Timestamp, wall_clock_ms
from .lock import SyncLock
from .metrics import Metrics
from .network import NetworkMonitor
from .ofd_client import HttpOfd, Ofd
from .outbox import DocumentCollector
from .register_calls import RegisterCalls
from .service import FiscalService
from .settings import ConfigurationError, Settings
from .sync import RetryPolicy, SyncWorker
from .vat import tag_table


def register_clock(settings: Settings) -> Callable[[], datetime]:
    """The mock register's own clock: its time zone, and its offset from the machine's."""
    zone = ZoneInfo(settings.kkt_timezone)
    offset = timedelta(seconds=settings.register_clock_offset_seconds)
    return lambda: datetime.now(zone) + offset


def mock_fn(settings: Settings, clock: Callable[[], datetime] | None = None) -> FiscalDrive:
    """The mock register's fiscal drive as the adapter builds it; `clock` in place of the register's lets a test
    harness write the drive's past (its file is `settings.fn_state_path`)."""
    return mock_fiscal_drive(settings.fn_config(settings.kkt_fn_serial or new_fn_serial()),
                             settings.kkt_sign_key.get_secret_value().encode(), clock or register_clock(settings))


def build_driver(settings: Settings) -> KktDriver:
    if settings.kkt_mode == "real":
        from .drivers.shtrih import ShtrihDriver  # pyserial is loaded only for a real register

        assert settings.kkt_device is not None  # the settings refuse real mode without it
        return ShtrihDriver(
            settings.kkt_device, journal_path=settings.device_journal_path, baudrate=settings.kkt_baudrate,
            operator_password=settings.kkt_operator_password, admin_password=settings.kkt_admin_password,
            timeout=settings.kkt_device_timeout, auto_open_shift=settings.kkt_auto_open_shift,
            vat_tags=tag_table(settings.vat_tag_overrides),
        )
    drive = mock_fn(settings)
    return MockKkt(
        settings.fn_state_path,
        sign_key=settings.kkt_sign_key.get_secret_value().encode(),
        kkt_reg_number=settings.kkt_reg_number,
        print_delay=settings.print_delay_seconds,
        clock=register_clock(settings),
        config=drive.config,
    )


OFD_ENTRY_POINTS = "kkt_adapter.ofd"


def build_ofd(settings: Settings) -> Ofd:
    """HTTP is built in; another OFD_MODE names an entry point of group `kkt_adapter.ofd` (`mock`: the
    harness's in-process OFD), a class with `from_settings(settings)`."""
    if settings.ofd_mode == "http":
        return HttpOfd(settings.ofd_base_url, settings.ofd_timeout, settings.ofd_max_concurrency,
                       user_agent=f"opticserp-kkt-adapter/{__version__} ({settings.kkt_adapter_id}; pid {os.getpid()})")
    found = entry_points(group=OFD_ENTRY_POINTS, name=settings.ofd_mode)
    if not found:
        raise ConfigurationError(
            f"OFD_MODE: {settings.ofd_mode!r} needs an OFD plugged in as entry point {settings.ofd_mode!r} of group "
            f"{OFD_ENTRY_POINTS!r} (the harness, opticserp-kkt with its emulators, provides 'mock'); none is installed"
        )
    return next(iter(found)).load().from_settings(settings)


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
    calls: RegisterCalls
    heartbeat: Heartbeat | None = None

    @classmethod
    async def start(cls, settings: Settings, driver: KktDriver | None = None,
                    wall_ms: Callable[[], int] = wall_clock_ms, *, ofd: Ofd | None = None,
                    heartbeat_body: Callable[[Components], Awaitable[dict[str, Any]]] | None = None,
                    wall: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic,
                    ) -> Components:
        """Open the stores, finish any half-done receipt, then start delivery and heartbeats.

        `wall_ms` stamps receipts (HLC, created_at); `wall` and `monotonic` schedule delivery (retry backoffs,
        the breaker's wait, the probe interval), so a test can make a long outage pass in an instant.

        `heartbeat_body` builds what each heartbeat says (the app passes `health.heartbeat_snapshot`); without
        it, or without ODOO_API_URL, no heartbeats are sent.
        """
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
            vat_tags = tag_table(settings.vat_tag_overrides)
            documents = DocumentCollector(buffer.outbox, driver, vat_tags)
            service = FiscalService(buffer, driver, capacity=settings.buffer_max_size, clock=clock,
                                    vat_tags=vat_tags,
                                    taxation_system=settings.kkt_taxation_system, metrics=metrics,
                                    documents=documents)
            await service.recover()
            calls = RegisterCalls(buffer, driver, documents)
            await calls.recover()
            await documents.collect()  # a new FN's registration report, or what a crash left in the FN only
            ofd = ofd or build_ofd(settings)
            await ofd.open()
            stack.push_async_callback(ofd.close)
            lock = SyncLock(settings.redis_url, sync_lock_name(settings), lease=max(30.0, 3 * settings.ofd_timeout))
            await lock.open()
            stack.push_async_callback(lock.close)
            breaker = CircuitBreaker(settings.circuit_breaker_threshold, settings.circuit_breaker_recovery_timeout,
                                     clock=monotonic)
            network = NetworkMonitor()
            worker = SyncWorker(
                buffer, ofd, breaker, network, lock, metrics,
                interval=settings.sync_interval, batch_size=settings.sync_batch_size,
                concurrency=settings.ofd_max_concurrency,
                retry=RetryPolicy(settings.ofd_max_attempts, settings.ofd_retry_base, settings.ofd_retry_max),
                probe_interval=settings.ofd_probe_interval, wall=wall, monotonic=monotonic,
                acks=FnAcknowledgements(buffer.fn_acknowledgements, driver),
            )
            service.on_fiscalized = worker.wake
            calls.on_signed = worker.wake
            components = cls(settings, buffer, driver, service, breaker, network, ofd, lock, worker, metrics, calls)
            if settings.odoo_api_url is not None and heartbeat_body is not None:
                components.heartbeat = Heartbeat(
                    str(settings.odoo_api_url), settings.heartbeat_interval, settings.kkt_adapter_id,
                    lambda: heartbeat_body(components), metrics,
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
