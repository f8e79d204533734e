"""What the wire side needs of a register: one call per request frame, answered with one answer payload.

The link layer (link.py) knows framing, ACKs and faults, and nothing of what a command means; the register
(register.py) knows commands and the fiscal drive, and nothing of bytes on a line. This is the seam.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable


@runtime_checkable
class Register(Protocol):
    async def execute(self, request: bytes) -> bytes:
        """`request` = command code (1 byte, or `FF xx`) + data; the answer = command code + error byte + data.

        Called for one request at a time (the device holds a lock around it), on the device's event loop.
        """
        ...


@runtime_checkable
class PowerCycled(Protocol):
    """A register that has something to do when the power comes back (a check to drop, printing stopped)."""

    async def power_cycle(self) -> None: ...


@runtime_checkable
class Opened(Protocol):
    """A register with resources of its own (its FN's file): opened before the first command, closed at stop."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...


RegisterFactory = Callable[[], Register]
