"""`ShtrihEmulator`: the serial register in-process, on a pty and a TCP port, driven from the test's thread.

Like `NetfaultProxy`, the device runs on its own event loop in a background thread: a test blocks on a
synchronous serial client while the device must go on answering. Every method hands a coroutine to that
loop and waits, so the device's state has one owner and needs no lock of its own.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any, Self, TypeVar

from emulators._loop_thread import LoopThread
from emulators.serving import ServerThread
from emulators.shtrih.line import Line
from emulators.shtrih.link import Device, LinkStats, LinkTimings
from emulators.shtrih.register_api import Opened, Register, RegisterFactory
from emulators.shtrih.transport import PtyDoor, TcpDoor

T = TypeVar("T")
DEFAULT_BAUD = 115200


class ShtrihEmulator:
    """A Shtrih-M register on `link_path` (a symlink to its pty) and on `tcp_port`; faults set by methods.

    `register` is the register itself, or a factory called on the device's loop (for a register that must be
    built there); one with `open()`/`close()` is opened at start and closed at stop. `link` defaults to `kkt`
    in a temporary folder; `tcp_port=None` serves the pty only; `admin_port` (0 = a free port) also serves
    the admin HTTP API (admin.py) on `admin_url`.
    """

    def __init__(
        self,
        register: Register | RegisterFactory,
        *,
        link: str | Path | None = None,
        host: str = "127.0.0.1",
        tcp_port: int | None = 0,
        baud: int = DEFAULT_BAUD,
        timings: LinkTimings | None = None,
        admin_port: int | None = None,
        allowed_hosts: Iterable[str] = (),
        call_timeout: float = 10.0,
    ) -> None:
        self._register_source = register
        self._link = Path(link) if link is not None else None
        self.host = host
        self._tcp_port = tcp_port
        self._line = Line(baud)
        self._timings = timings or LinkTimings()
        self._admin_port = admin_port
        self._allowed_hosts = tuple(allowed_hosts)
        self._loop = LoopThread("shtrih", call_timeout, "the emulator")
        self._temp_dir: str | None = None
        self._device: Device | None = None
        self._pty: PtyDoor | None = None
        self._tcp: TcpDoor | None = None
        self._admin: ServerThread | None = None


    def start(self) -> Self:
        if self._link is None:
            self._temp_dir = tempfile.mkdtemp(prefix="shtrih-")
            self._link = Path(self._temp_dir) / "kkt"
        self._loop.start()
        try:
            self._call(self._open())
            if self._admin_port is not None:
                from emulators.shtrih.admin import create_admin_app  # FastAPI only when asked for

                app = create_admin_app(self, bind_host=self.host, allowed_hosts=self._allowed_hosts)
                self._admin = ServerThread(app, host=self.host, port=self._admin_port).start()
        except BaseException:
            self.stop()
            raise
        return self

    async def _open(self) -> None:
        source = self._register_source
        register = source if isinstance(source, Register) and not isinstance(source, type) else source()
        if isinstance(register, Opened):
            await register.open()
        self._device = Device(register, self._line, self._timings)
        self._pty = PtyDoor(self._device, self._link)
        await self._pty.start()
        if self._tcp_port is not None:
            self._tcp = TcpDoor(self._device, self.host, self._tcp_port)
            await self._tcp.start()

    async def _close(self) -> None:
        for door in (self._tcp, self._pty):
            if door is not None:
                await door.close()
        self._tcp = self._pty = None
        if self._device is not None and isinstance(self._device.register, Opened):
            await self._device.register.close()

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.stop()
            self._admin = None
        self._loop.stop(self._close())
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None
            self._link = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.call(coro)

    def _on_loop(self, action: Callable[[], T]) -> T:
        """Run a plain function on the device's loop, so it never sees the device half-changed."""
        return self._loop.on_loop(action)


    @property
    def device(self) -> Device:
        if self._device is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._device

    @property
    def register(self) -> Register:
        return self.device.register

    @property
    def pty_path(self) -> str:
        """The pty's slave device, e.g. /dev/pts/7."""
        assert self._pty is not None, "not started"
        return self._pty.path

    @property
    def link_path(self) -> Path:
        """The symlink to the pty: what a driver's KKT_DEVICE points at."""
        assert self._link is not None, "not started"
        return self._link

    @property
    def tcp_port(self) -> int | None:
        return self._tcp.port if self._tcp is not None else None

    @property
    def tcp_url(self) -> str | None:
        """`socket://host:port`, as pyserial's `serial_for_url` takes it."""
        return f"socket://{self.host}:{self._tcp.port}" if self._tcp is not None else None

    @property
    def admin_url(self) -> str | None:
        return self._admin.url if self._admin is not None else None


    def drop_next(self, count: int = 1, after: int = 0) -> None:
        """`count` bytes the device sends are lost on the line, once `after` more have gone out intact."""
        self._on_loop(lambda: self.device.line.faults.drop_next(count, after))

    def corrupt_next(self, count: int = 1, after: int = 0) -> None:
        """`count` bytes the device sends arrive with one bit flipped (a frame's LRC fails), after `after`."""
        self._on_loop(lambda: self.device.line.faults.corrupt_next(count, after))

    def corrupt_rate(self, rate: float, seed: int | None = None) -> None:
        """A noisy line: each byte the device sends has a random bit flipped with probability `rate` (0 = off),
        from a generator seeded with `seed`, so the same run damages the same bytes. `stats` counts the damage."""
        self._on_loop(lambda: self.device.line.faults.corrupt_at_rate(rate, seed))

    def late_ack(self, delay: float, count: int = 1) -> None:
        """The device's ACK of each of the next `count` request frames comes `delay` seconds late."""
        self._on_loop(lambda: self.device.line.faults.delay_acks(delay, count))

    def miss_ack(self, count: int = 1) -> None:
        """The device sends no ACK for the next `count` request frames; it still executes and answers them."""
        self._on_loop(lambda: self.device.line.faults.leave_out_acks(count))

    def slow_line(self, baud: int | None) -> None:
        """Answer at `baud` (None: at the configured speed again)."""
        self._on_loop(lambda: self.device.line.faults.set_baud(baud))

    def power_off(self) -> None:
        """Nothing answers; what arrives is discarded. The pty and the TCP port stay open."""
        self._on_loop(self.device.power_off)

    def power_on(self) -> None:
        """Back on: the register's `power_cycle()` runs (if it has one) once its running command is done."""
        self._call(self.device.power_on())

    def paper_out(self) -> None:
        self._set_paper(False)

    def paper_in(self) -> None:
        self._set_paper(True)

    def _set_paper(self, present: bool) -> None:
        register = self.register
        if not hasattr(register, "paper_present"):
            raise TypeError(f"{type(register).__name__} has no paper_present: it cannot run out of paper")
        self._on_loop(lambda: setattr(register, "paper_present", present))

    def clear_faults(self) -> None:
        """No line faults armed, the configured speed back, the power on (paper is the register's own)."""
        self._on_loop(self.device.line.faults.clear)
        self.power_on()

    @property
    def powered(self) -> bool:
        return self._on_loop(lambda: self.device.powered)

    @property
    def stats(self) -> LinkStats:
        """A copy of the link counters (frames and bytes each way, damaged frames, re-sent answers, ...)."""
        return self._on_loop(lambda: LinkStats(**self.device.stats.snapshot()))

    def describe(self) -> dict[str, Any]:
        def snapshot() -> dict[str, Any]:
            device = self.device
            paper = getattr(device.register, "paper_present", None)
            return {
                "pty": self.pty_path, "link": str(self.link_path),
                "tcp": f"{self.host}:{self._tcp.port}" if self._tcp is not None else None,
                "powered": device.powered, "paper_present": paper, "baud": device.line.baud,
                "configured_baud": device.line.configured_baud, "faults": device.line.faults.snapshot(),
                "stats": device.stats.snapshot(),
            }

        return self._on_loop(snapshot)
