"""Waiting on a condition, never on a clock: scenarios are asynchronous, tests must not be."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class EventuallyTimeout(AssertionError):
    """A condition did not come true in time; the message says what was awaited and what was last seen."""


def eventually(condition: Callable[[], T], what: str, last_seen: Callable[[], object] | None = None, *,
               timeout: float = 10.0, interval: float = 0.02) -> T:
    """Poll `condition()` until it returns something truthy, and return that.

    On the deadline fail with "timed out after 10s waiting for <what>; last seen: <last_seen()>". An exception
    raised by `condition` counts as "not yet" and is shown if nothing better was seen.
    """
    __tracebackhide__ = True  # the failure is the caller's line, not ours
    deadline = time.monotonic() + timeout
    error: Exception | None = None
    while True:
        try:
            result = condition()
            if result:
                return result
        except Exception as exc:  # e.g. the server is restarting; try again until the deadline
            error = exc
        if time.monotonic() > deadline:
            seen = ""
            if last_seen is not None:
                try:
                    seen = f"; last seen: {last_seen()!r}"
                except Exception as exc:
                    seen = f"; last seen: (could not read: {exc!r})"
            elif error is not None:
                seen = f"; last error: {error!r}"
            raise EventuallyTimeout(f"timed out after {timeout}s waiting for {what}{seen}")
        time.sleep(interval)
