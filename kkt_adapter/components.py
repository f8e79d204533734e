"""The adapter's parts, built from settings and wired once; the app and the CLI take them from here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .breaker import CircuitBreaker
from .buffer import ReceiptBuffer
from .drivers.base import KktDriver
from .drivers.mock import MockKkt
from .network import NetworkMonitor
from .service import FiscalService
from .settings import ConfigurationError, Settings


def build_driver(settings: Settings) -> KktDriver:
    if settings.kkt_mode == "real":
        raise ConfigurationError(
            "KKT_MODE: 'real' needs the serial register driver, which this version does not have yet; "
            "use KKT_MODE=mock"
        )
    zone = ZoneInfo(settings.kkt_timezone)
    return MockKkt(
        settings.fn_state_path,
        sign_key=settings.kkt_sign_key.get_secret_value().encode(),
        kkt_reg_number=settings.kkt_reg_number,
        fn_serial=settings.kkt_fn_serial,
        print_delay=settings.print_delay_seconds,
        clock=lambda: datetime.now(zone),
    )


@dataclass
class Components:
    settings: Settings
    buffer: ReceiptBuffer
    driver: KktDriver
    service: FiscalService
    breaker: CircuitBreaker
    network: NetworkMonitor

    @classmethod
    async def start(cls, settings: Settings, driver: KktDriver | None = None) -> Components:
        driver = driver or build_driver(settings)
        buffer = ReceiptBuffer(settings.buffer_db_path)
        await buffer.open()
        try:
            await driver.open()
        except BaseException:
            await buffer.close()
            raise
        service = FiscalService(buffer, driver, capacity=settings.buffer_max_size)
        components = cls(
            settings=settings,
            buffer=buffer,
            driver=driver,
            service=service,
            breaker=CircuitBreaker(settings.circuit_breaker_threshold, settings.circuit_breaker_recovery_timeout),
            network=NetworkMonitor(),
        )
        try:
            await service.recover()
        except BaseException:
            await components.stop()
            raise
        return components

    async def stop(self) -> None:
        try:
            await self.driver.close()
        finally:
            await self.buffer.close()
