"""The serial register: the Shtrih-M emulator on a pseudo-terminal, for the adapter's real driver to talk to.

    @pytest.mark.kkt_register_device(print_delay=0.05, baud=9600)
    def test_paper_out(kkt_register_device, kkt_adapter):      # the adapter is pointed at the device...
        kkt_register_device.paper_out()                         # ...and the test breaks the device

An adapter fixture uses it (KKT_MODE=real, KKT_DEVICE = the pty's stable link) when the run says
`--opticserp-kkt=serial`, or a test's `@pytest.mark.kkt_adapter(kkt_mode="real")` names no device of its own.
The register keeps its fiscal drive in the fixture's folder (`state_dir / "fn.db"`), on the time zone the mock
register uses, so the scenarios read either register's archive the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

MARKER = "kkt_register_device"
MARKER_HELP = (f"{MARKER}(print_delay=0.0, baud=0, tcp=False): the serial register emulator's print time (seconds), "
               "line speed (0 = as fast as the pty) and a TCP port besides its pty")
ZONE = ZoneInfo("Europe/Moscow")  # the mock register's default KKT_TIMEZONE


@dataclass(frozen=True)
class DeviceOptions:
    print_delay: float = 0.0
    baud: int = 0
    tcp: bool = False


def device_options(node: pytest.Item) -> dict[str, Any]:
    """What the test's marker says, checked against the options there are."""
    marker = node.get_closest_marker(MARKER)
    if marker is None:
        return {}
    if marker.args:
        raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only")
    known = {field.name for field in dataclasses.fields(DeviceOptions)}
    unknown = sorted(set(marker.kwargs) - known)
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: unknown {', '.join(unknown)}; "
                                f"known: {', '.join(sorted(known))}")
    return dict(marker.kwargs)


class RegisterClock:
    """The register's own clock: the machine's time in its zone, plus an offset a test may move."""

    def __init__(self) -> None:
        self.zone = ZONE
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(self.zone) + self.offset


class RegisterDevice:
    """The emulator and what a test needs beside it; its faults and paths pass through to the emulator.

    It starts when first used: by the adapter fixture pointed at it, with the FN's requisites and limits the
    adapter's settings give the mock register (so a scenario's limits hold for either register), or by a test
    that uses it alone, with the defaults. At every adapter start the register's clock follows the adapter's
    KKT_REGISTER_CLOCK_OFFSET_SECONDS and KKT_TIMEZONE, as the mock register's does."""

    def __init__(self, state_dir: Path, options: DeviceOptions) -> None:
        self.state_dir = state_dir
        self.options = options
        self.clock = RegisterClock()
        self.emulator: Any = None

    @property
    def fiscal_drive_path(self) -> Path:
        return self.state_dir / "fn.db"

    @property
    def url(self) -> str:
        """What KKT_DEVICE is set to: the pty's stable link (it exists before the device starts)."""
        return str(self.state_dir / "kkt")

    def follow(self, config: Any) -> None:
        """Set the register as the adapter's `Settings` describe it, before the adapter starts."""
        self.clock.zone = ZoneInfo(config.kkt_timezone)
        self.clock.offset = timedelta(seconds=config.register_clock_offset_seconds)
        if self.emulator is None:
            # The device opens shifts when told to (0xE0), as a Shtrih does; the driver opens one for a sale.
            self.start(dataclasses.replace(config.fn_config(config.kkt_fn_serial or _new_serial()),
                                           auto_open_shift=False))

    def start(self, fn_config: Any = None) -> None:
        from emulators.shtrih.handle import ShtrihEmulator  # the device only for tests that use one
        from emulators.shtrih.register import ShtrihRegister

        options = self.options
        emulator = ShtrihEmulator(
            lambda: ShtrihRegister(self.state_dir, print_delay=options.print_delay, clock=self.clock,
                                   fn_config=fn_config),
            link=self.url, baud=options.baud, tcp_port=0 if options.tcp else None)
        emulator.start()
        self.emulator = emulator

    def stop(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("emulator", "options", "state_dir", "clock"):
            raise AttributeError(name)
        if self.emulator is None:
            self.start()
        return getattr(self.emulator, name)


def _new_serial() -> str:
    from emulators.shtrih.register import new_fn_serial

    return new_fn_serial()


def kkt_register_device(**defaults: object) -> Callable[..., Iterator[RegisterDevice]]:
    """A function fixture: a Shtrih-M register emulator on a pty in the test's temporary folder.

    The handle has the link path (`url`), `state_dir`, `fiscal_drive_path`, the register's `clock` (move it
    with `clock.offset`), and the emulator's faults: `paper_out()`, `paper_in()`, `power_off()`, `power_on()`,
    `corrupt_next(n)`, `drop_next(n)`, `late_ack(delay)`, `miss_ack()`, `slow_line(baud)`."""

    @pytest.fixture
    def kkt_register_device_fixture(request: pytest.FixtureRequest,
                                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegisterDevice]:
        options = DeviceOptions(**{**defaults, **device_options(request.node)})
        device = RegisterDevice(tmp_path_factory.mktemp("kkt-register"), options)
        try:
            yield device
        finally:
            device.stop()

    return kkt_register_device_fixture


def serial_register_for(request: pytest.FixtureRequest, marked: dict[str, Any],
                        settings: dict[str, Any]) -> RegisterDevice | None:
    """Point an adapter fixture's `settings` at the serial register when the test or the run asks for one:
    the test's own `kkt_mode` (from its `kkt_adapter` marker, `marked`) decides, else `--opticserp-kkt`."""
    from pytest_opticserp.config import settings_for

    if "kkt_mode" not in marked and settings_for(request.config).kkt == "serial":
        settings["kkt_mode"] = "real"
    if settings.get("kkt_mode") != "real" or "kkt_device" in settings:  # a device of its own (or "" for none)
        return None
    device: RegisterDevice = request.getfixturevalue(MARKER)
    settings["kkt_device"] = device.url
    return device
