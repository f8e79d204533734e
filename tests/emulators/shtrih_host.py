"""A raw host for the Shtrih-M emulator's tests, and the stand-in register it talks to.

The host sees every byte (the pty's slave, or a TCP socket, read with select), so a test can say exactly
what the device sent; the stand-in answers short status, an echo and 0x37 for the rest, so what is tested is
the link layer alone. The CLI test loads the stand-in by name (`--register tests.emulators.shtrih_host:...`).
"""

from __future__ import annotations

import asyncio
import os
import select
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fiscal.shtrih import ACK, answer_payload, build_frame, split_request

SHORT_STATUS = bytes.fromhex("10 01 00 00 00")  # 0x10 with the cashier's password
STATUS_BODY = bytes.fromhex("01 02 00 08 00 00 98 00 00 00 00 00 00 00 f5")  # the reference trace's LEN 0x11, LRC 0x67
ECHO = 0xFE  # the stand-in's own command: answers its data back, for answers of any length
BROKEN = 0xFD  # the stand-in's own command: raises, as a register with a bug would
REPLY_TIMEOUT = 5.0  # what a host waits for bytes it is owed; only a failing test waits this long
QUIET = 0.2  # how long "nothing arrives" is watched for


class StandInRegister:
    """Counts what it executes; `delay` makes each command take that long (to see two doors take turns), and
    a `gate` holds each command until the test opens it."""

    def __init__(self, delay: float = 0.0, gate: threading.Event | None = None, **settings: Any) -> None:
        self.delay = delay
        self.gate = gate
        self.settings = settings
        self.executed: list[bytes] = []
        self.running = self.most_running = 0
        self.power_cycles = 0
        self.paper_present = True
        self.life: list[str] = []

    async def open(self) -> None:
        self.life.append("open")

    async def close(self) -> None:
        self.life.append("close")

    async def execute(self, request: bytes) -> bytes:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.gate is not None:
                await asyncio.to_thread(self.gate.wait, REPLY_TIMEOUT)
            self.executed.append(request)
            command, data = split_request(request)
            if command == 0x10:
                return answer_payload(0x10, 0, STATUS_BODY)
            if command == ECHO:
                return answer_payload(ECHO, 0, data)
            if command == BROKEN:
                raise RuntimeError("a bug in the register")
            return answer_payload(command, 0x37)
        finally:
            self.running -= 1

    async def power_cycle(self) -> None:
        self.power_cycles += 1


def answer_frame(request: bytes) -> bytes:
    command, data = split_request(request)
    if command == 0x10:
        return build_frame(answer_payload(0x10, 0, STATUS_BODY))
    return build_frame(answer_payload(command, 0, data) if command == ECHO else answer_payload(command, 0x37))


class RawHost:
    """A host that sees every byte: the pty's slave or a TCP socket, read with select."""

    def __init__(self, fd: int, closer: Callable[[], None]) -> None:
        self.fd = fd
        self._closer = closer

    @classmethod
    def on_pty(cls, path: Path | str) -> RawHost:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        return cls(fd, lambda: os.close(fd))

    @classmethod
    def on_tcp(cls, port: int) -> RawHost:
        sock = socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT)
        return cls(sock.fileno(), sock.close)

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def read(self, count: int, timeout: float = REPLY_TIMEOUT) -> bytes:
        """`count` bytes, or fewer if they stop coming for `timeout` seconds."""
        got = b""
        while len(got) < count and select.select([self.fd], [], [], timeout)[0]:
            chunk = os.read(self.fd, count - len(got))
            if not chunk:
                break
            got += chunk
        return got

    def quiet_for(self, seconds: float = QUIET) -> bool:
        return not select.select([self.fd], [], [], seconds)[0]

    def ask(self, request: bytes) -> bytes:
        """Send a request frame, read the ACK and the answer frame, acknowledge it: the answer's bytes."""
        self.send(build_frame(request))
        expected = answer_frame(request)
        got = self.read(1 + len(expected))
        self.send(bytes([ACK]))
        return got

    def close(self) -> None:
        self._closer()
