"""The register's receipt printer: paper, and how long the last document takes to print.

Printing is a deadline on the monotonic clock, not a task: the submode is computed when asked, so nothing
sleeps on the event loop and a test needs no timer to pass. Paper running out while a document prints
stops it with the rest of its time kept (submode 2); paper back, it waits for 0xB0 (submode 3), which
prints the rest. What was printed is kept on `tape`, for tests and the admin API to read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fiscal.shtrih.errors import ErrorCode
from fiscal.shtrih.modes import Submode

from .device_error import DeviceError


@dataclass(frozen=True)
class Printout:
    kind: str  # "receipt", "correction", "open_shift", "x_report", "z_report", "state_report", "cash_in", "cash_out",
    # "cancelled"
    data: dict[str, Any] = field(default_factory=dict)


class Printer:
    def __init__(self, print_delay: float = 0.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.print_delay = print_delay
        self._now = monotonic
        self._paper = True
        self._until: float | None = None  # printing until then
        self._left: float | None = None  # stopped by paper out with this much to print
        self._report = False
        self.tape: list[Printout] = []

    @property
    def paper_present(self) -> bool:
        return self._paper

    @paper_present.setter
    def paper_present(self, present: bool) -> None:
        if not present and self._until is not None:
            left = self._until - self._now()
            if left > 0:
                self._left = left
            self._until = None
        self._paper = present

    def submode(self) -> Submode:
        if self._left is not None:
            return Submode.WAITING_CONTINUE if self._paper else Submode.NO_PAPER_PRINTING
        if self._until is not None:
            if self._now() < self._until:
                return Submode.PRINTING_REPORT if self._report else Submode.PRINTING
            self._until = None
        return Submode.IDLE if self._paper else Submode.NO_PAPER

    def require(self, *, idle: bool) -> None:
        """Refuse a command the printer cannot take now: no paper (0x6B), a stopped document waiting for 0xB0
        (0x58), and, for a command that prints (`idle`), the previous document still printing (0x50)."""
        submode = self.submode()
        if submode in (Submode.NO_PAPER, Submode.NO_PAPER_PRINTING):
            raise DeviceError(ErrorCode.NO_PAPER)
        if submode == Submode.WAITING_CONTINUE:
            raise DeviceError(ErrorCode.WAITING_FOR_CONTINUE)
        if idle and submode in (Submode.PRINTING, Submode.PRINTING_REPORT):
            raise DeviceError(ErrorCode.STILL_PRINTING)

    def print(self, printout: Printout, *, report: bool = False) -> None:
        """Start printing `printout` (the caller checked the printer is idle, with paper)."""
        self.tape.append(printout)
        self._report = report
        if self.print_delay > 0:
            self._until = self._now() + self.print_delay

    def continue_printing(self) -> bool:
        """0xB0: print the rest of a stopped document; False if none was waiting for it."""
        if self._left is None or not self._paper:
            return False
        self._until, self._left = self._now() + self._left, None
        return True

    def power_off(self) -> None:
        """A document being printed is cut off; it is not printed again on its own."""
        self._until = self._left = None
