"""Fixtures of the serial register tests (test_shtrih_*.py): the emulator on a pty and the `real` driver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from emulators.shtrih.handle import ShtrihEmulator
from emulators.shtrih.register import ShtrihRegister
from kkt_adapter.drivers.shtrih import LinkTimeouts, ShtrihDriver

from .shtrih_register import SerialRegister, fn_config

# Tight enough that a switched-off register is noticed in about a second; loose enough for a loaded machine.
TEST_TIMEOUTS = LinkTimeouts(control=0.2, byte=0.3, answer=3.0, retries=4)

StartRegister = Callable[..., SerialRegister]
MakeDriver = Callable[..., Awaitable[ShtrihDriver]]


@pytest.fixture
def start_register(tmp_path: Path) -> Iterator[StartRegister]:
    """Start the Shtrih-M emulator on a pty and a TCP port (line as fast as the pty unless `baud` is given), on a
    `ShtrihRegister` (or `register_class`) with the FN config's `fn` overrides; each is stopped at teardown."""
    started: list[ShtrihEmulator] = []

    def start(*, register_class: type[ShtrihRegister] = ShtrihRegister, fn: dict[str, Any] | None = None,
              print_delay: float = 0.0, baud: int = 0, clock: Callable[[], datetime] | None = None) -> SerialRegister:
        state_dir = tmp_path / "register"
        config = fn_config(**(fn or {}))

        def build() -> ShtrihRegister:
            return register_class(state_dir, fn_config=config, sign_key=b"key", print_delay=print_delay, clock=clock)

        emulator = ShtrihEmulator(build, link=tmp_path / f"kkt{len(started)}", tcp_port=0, baud=baud)
        started.append(emulator)
        emulator.start()
        return SerialRegister(emulator, state_dir)

    try:
        yield start
    finally:
        for emulator in started:
            emulator.stop()


@pytest.fixture
def serial_register(start_register: StartRegister) -> SerialRegister:
    return start_register()


@pytest.fixture
async def make_driver(tmp_path: Path) -> AsyncIterator[MakeDriver]:
    """Open a `ShtrihDriver` on `register` (its journal in tmp_path unless given); each is closed at teardown."""
    drivers: list[ShtrihDriver] = []

    async def make(register: SerialRegister, url: str | None = None, **options: Any) -> ShtrihDriver:
        options.setdefault("journal_path", tmp_path / "kkt_journal.db")
        options.setdefault("link_timeouts", TEST_TIMEOUTS)
        driver = ShtrihDriver(url or register.url, **options)
        drivers.append(driver)
        await driver.open()
        return driver

    try:
        yield make
    finally:
        for driver in drivers:
            await driver.close()


@pytest.fixture
async def driver(make_driver: MakeDriver, serial_register: SerialRegister) -> ShtrihDriver:
    return await make_driver(serial_register)
