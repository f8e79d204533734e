"""Circuit breaker in front of the OFD.

Our own rather than a library's: the popular ones (pybreaker, circuitbreaker) wrap synchronous calls or
decorate functions, while the sync worker needs to ask "may I call now?", report the outcome itself, and
show the state and failure count in /v1/health. The clock is passed in so tests need no sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


class CircuitBreaker:
    def __init__(
        self, threshold: int, recovery_timeout: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.threshold = threshold
        self.recovery_timeout = recovery_timeout
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.recovery_timeout:
            self._state = BreakerState.HALF_OPEN
            self._trial_running = False
        return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures since the last success."""
        return self._failures

    @property
    def retry_in(self) -> float:
        """Seconds until an open breaker lets a trial call through."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self.recovery_timeout - (self._clock() - self._opened_at))

    def allow(self) -> bool:
        """Whether a call may be made now; in HALF_OPEN only one trial at a time."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def end_wait(self) -> None:
        """The OFD was seen answering (a health check): let the trial through now, not after the timeout."""
        if self.state is BreakerState.OPEN:
            self._state = BreakerState.HALF_OPEN
            self._trial_running = False

    def record_success(self) -> None:
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._trial_running = False

    def record_failure(self) -> None:
        self._failures += 1
        state = self.state
        if state is BreakerState.HALF_OPEN or (
            state is BreakerState.CLOSED and self._failures >= self.threshold
        ):
            self._state = BreakerState.OPEN
            self._opened_at = self._clock()
            self._trial_running = False
