"""Hybrid logical clock for receipt ordering.

Wall-clock time orders receipts as people expect, but a register's clock can be set back (NTP, a dead
RTC battery); a plain timestamp would then put new receipts before old ones, and the OFD would get them out
of order. An HLC never goes backwards: it follows the wall clock when that moves forward, and otherwise
counts on from the last value it issued. It is seeded at start-up from the newest value in the buffer, so it
stays monotonic across restarts too.

Our own because the few HLC packages on PyPI are unmaintained and none persists its state.
Encoded as fixed-width text (`0001763718000123-00000-node`) so SQLite sorts it correctly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Timestamp:
    wall_ms: int
    logical: int
    node: str = ""

    def encode(self) -> str:
        return f"{self.wall_ms:016d}-{self.logical:05d}-{self.node}"

    @classmethod
    def decode(cls, text: str) -> Timestamp:
        wall, logical, node = text.split("-", 2)
        return cls(int(wall), int(logical), node)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class HybridLogicalClock:
    """Not thread-safe: the adapter stamps receipts from its event loop only."""

    def __init__(self, node: str = "", wall: Callable[[], int] = wall_clock_ms,
                 last: Timestamp | None = None) -> None:
        self._node = node
        self._wall = wall
        self._last = last or Timestamp(0, 0, node)

    def now(self) -> Timestamp:
        """A timestamp greater than every one issued before (and than the one it was seeded with)."""
        physical = self._wall()
        if physical > self._last.wall_ms:
            self._last = Timestamp(physical, 0, self._node)
        else:
            self._last = Timestamp(self._last.wall_ms, self._last.logical + 1, self._node)
        return self._last
