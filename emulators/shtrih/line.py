"""The wire between the device and the host: its speed, and the faults that happen on it.

A real register answers at 115200 baud or slower, so a driver that works against an instant pty can still
time out on a device. Every byte the device sends takes its wire time here (10 bits a byte: start, 8 data,
stop); the wait is an `asyncio.sleep`, so other front doors and the admin API go on meanwhile. A pty hands
the host's bytes over at once, so they take their wire time on arrival (`Line.receive`): a command starts
no sooner than on a real line, and a driver's time per receipt can be compared with its bytes' wire time.

A noisy line corrupts bytes at random (`corrupt_at_rate`), from a seeded generator so a test replays; the
faults count what they hit (`damaged_bytes`), so the link can say how many frames went out damaged.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

BITS_PER_BYTE = 10
SLICE_SECONDS = 0.01  # bytes leave in ~10 ms slices: smooth enough, and few timer wake-ups
MIN_SLEEP = 0.001  # epoll sleeps in whole milliseconds: a shorter wait would cost a millisecond
CORRUPTING_BIT = 0x01  # one flipped bit changes the XOR of the frame, so its LRC fails

Write = Callable[[bytes], Awaitable[None]]


def wire_time(byte_count: int, baud: int) -> float:
    """Seconds `byte_count` bytes take on a line at `baud` (0 = no line to wait for)."""
    return byte_count * BITS_PER_BYTE / baud if baud > 0 else 0.0


@dataclass
class LineFaults:
    """Faults armed from the handle or the admin API; each is used up as the device sends bytes or ACKs.

    Lives on the device's event loop: change it only from there.
    """

    drop: int = 0  # N bytes the device sends never arrive ...
    drop_after: int = 0  # ... once this many more have gone out intact
    corrupt: int = 0  # N bytes the device sends arrive with a bit flipped ...
    corrupt_after: int = 0  # ... once this many more have gone out
    late_acks: deque[float] = field(default_factory=deque)  # each delays the ACK of one request frame
    missing_acks: int = 0  # the ACKs of the next N request frames are not sent (the frames still execute)
    baud: int | None = None  # a slow line: overrides the configured speed until cleared
    corrupt_rate: float = 0.0  # each byte the device sends has one bit flipped with this probability ...
    corrupt_seed: int | None = None  # ... drawn from a generator seeded with this (None: an unseeded one)
    damaged_bytes: int = 0  # not a fault: how many bytes the faults have hit so far; `clear()` keeps it
    _rate_random: random.Random = field(default_factory=random.Random, repr=False)

    def drop_next(self, count: int, after: int = 0) -> None:
        """Lose `count` bytes, starting `after` bytes from now (to hit a chosen byte of the next answer)."""
        self.drop, self.drop_after = _positive("count", count), _not_negative("after", after)

    def corrupt_next(self, count: int, after: int = 0) -> None:
        """Flip a bit in `count` bytes, starting `after` bytes from now."""
        self.corrupt, self.corrupt_after = _positive("count", count), _not_negative("after", after)

    def corrupt_at_rate(self, rate: float, seed: int | None = None) -> None:
        """From now on each byte the device sends is corrupted with probability `rate` (0 = no more), a random
        bit of it flipped; `seed` makes which bytes and bits the same in every run."""
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError(f"rate must be a probability from 0 to 1, got {rate!r}")
        self.corrupt_rate, self.corrupt_seed = float(rate), seed
        self._rate_random = random.Random(seed)

    def delay_acks(self, delay: float, count: int) -> None:
        if not delay >= 0:
            raise ValueError(f"delay must be 0 or more seconds, got {delay}")
        self.late_acks.extend([float(delay)] * _positive("count", count))

    def leave_out_acks(self, count: int) -> None:
        self.missing_acks += _positive("count", count)

    def set_baud(self, baud: int | None) -> None:
        """A slow line at `baud` (0 = as fast as possible); None = back to the configured speed."""
        if baud is not None and baud < 0:
            raise ValueError(f"baud must be 0 or positive, got {baud}")
        self.baud = baud

    def clear(self) -> None:
        self.drop = self.drop_after = self.corrupt = self.corrupt_after = self.missing_acks = 0
        self.late_acks.clear()
        self.baud = None
        self.corrupt_rate, self.corrupt_seed = 0.0, None

    def mangle(self, data: bytes) -> bytes:
        """What arrives of `data` once the armed drops and corruptions have had their bytes."""
        if not (self.drop or self.corrupt or self.corrupt_rate):
            return data
        out = bytearray()
        for byte in data:
            dropped, corrupted = self._hits("drop"), self._hits("corrupt")
            flip = self._random_flip() or (CORRUPTING_BIT if corrupted else 0)
            if dropped or flip:
                self.damaged_bytes += 1
            if not dropped:
                out.append(byte ^ flip)
        return bytes(out)

    def _random_flip(self) -> int:
        """The bit the noisy line flips in the byte going out now, or 0; one draw a byte, so a seed replays."""
        if not self.corrupt_rate or self._rate_random.random() >= self.corrupt_rate:
            return 0
        return 1 << self._rate_random.randrange(8)

    def _hits(self, fault: str) -> bool:
        """Whether the byte going out now is hit by `fault` ("drop" or "corrupt"); counts it either way."""
        if not getattr(self, fault):
            return False
        if skip := getattr(self, f"{fault}_after"):
            setattr(self, f"{fault}_after", skip - 1)
            return False
        setattr(self, fault, getattr(self, fault) - 1)
        return True

    def take_ack_fault(self) -> float | None:
        """For the next request frame's ACK: None to leave it out, else the seconds to wait before it."""
        if self.missing_acks:
            self.missing_acks -= 1
            return None
        return self.late_acks.popleft() if self.late_acks else 0.0

    def snapshot(self) -> dict[str, Any]:
        return {"drop_bytes": self.drop, "drop_after": self.drop_after, "corrupt_bytes": self.corrupt,
                "corrupt_after": self.corrupt_after, "late_acks": list(self.late_acks),
                "missing_acks": self.missing_acks, "baud_override": self.baud, "corrupt_rate": self.corrupt_rate,
                "corrupt_seed": self.corrupt_seed}


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of 1 or more, got {value!r}")
    return value


def _not_negative(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number of 0 or more, got {value!r}")
    return value


class Line:
    """Sends through the faults at the line's speed; `baud` is the configured speed, 0 = as fast as possible."""

    def __init__(self, baud: int, faults: LineFaults | None = None) -> None:
        if baud < 0:
            raise ValueError(f"baud must be 0 (no line speed) or positive, got {baud}")
        self.configured_baud = baud
        self.faults = faults or LineFaults()

    @property
    def baud(self) -> int:
        return self.configured_baud if self.faults.baud is None else self.faults.baud

    async def send(self, write: Write, data: bytes, busy_until: float = 0.0) -> float:
        """Each slice is written once its last byte would have left the wire (a dropped byte takes its time
        too). Returns when the line is free again, for the next send on the same line to start from: a wait
        too short for the event loop to sleep (under `MIN_SLEEP`) is skipped, not lost, so many small sends
        (an ACK, then an answer) add up to their wire time instead of a millisecond each."""
        baud = self.baud
        if baud <= 0:
            if arriving := self.faults.mangle(data):
                await write(arriving)
            return 0.0
        loop = asyncio.get_running_loop()
        started = max(loop.time(), busy_until)
        step = max(1, int(baud / BITS_PER_BYTE * SLICE_SECONDS))
        for offset in range(0, len(data), step):
            piece = data[offset:offset + step]
            if (wait := started + wire_time(offset + len(piece), baud) - loop.time()) >= MIN_SLEEP:
                await asyncio.sleep(wait)
            if arriving := self.faults.mangle(piece):
                await write(arriving)
        return started + wire_time(len(data), baud)

    async def receive(self, byte_count: int, busy_until: float = 0.0) -> float:
        """Wait until `byte_count` bytes from the host, just read, would have come in over the line (from
        `busy_until`, when the previous ones had); returns when they have, for the next read to start from."""
        baud = self.baud
        if baud <= 0:
            return 0.0
        loop = asyncio.get_running_loop()
        arrived = max(loop.time(), busy_until) + wire_time(byte_count, baud)
        if (wait := arrived - loop.time()) >= MIN_SLEEP:
            await asyncio.sleep(wait)
        return arrived
