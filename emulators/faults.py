"""Where a failure is injected: the failure plan shared by the HTTP emulators.

The seed configures the mock OFD by environment (`MOCK_OFD_FAILURE_MODE`, `MOCK_OFD_FAILURE_COUNT`,
`MOCK_OFD_RESPONSE_DELAY`) and at runtime through admin endpoints; both end up in a `FailurePlan`, which the
server thread consults per request while a test thread changes it, hence the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

FailureMode = Literal["disabled", "count", "permanent"]
FAILURE_MODES: tuple[FailureMode, ...] = ("disabled", "count", "permanent")


class SettingsError(ValueError):
    """An environment variable has a value the emulator cannot use; the message names the variable."""


# Bounds that keep an emulator controllable: a longer delay would outlast any test (and its shutdown), and a
# larger count is a typo rather than a plan.
MAX_DELAY = 600.0
MAX_FAILURE_COUNT = 1_000_000
DELAY_RANGE = f"between 0 and {MAX_DELAY:g} seconds"
COUNT_RANGE = f"an integer between 0 and {MAX_FAILURE_COUNT}"


def _check_delay(seconds: float, what: str) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_DELAY:
        raise SettingsError(f"{what} must be {DELAY_RANGE}, got {seconds!r}")
    return float(seconds)


def _check_count(count: int, what: str) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_FAILURE_COUNT:
        raise SettingsError(f"{what} must be {COUNT_RANGE}, got {count!r}")
    return count


@dataclass(frozen=True)
class FaultSettings:
    """How an emulator starts: which failures are armed and how long each answer is delayed."""

    failure_mode: FailureMode = "disabled"
    failure_count: int = 0
    response_delay: float = 0.0

    def __post_init__(self) -> None:
        if self.failure_mode not in FAILURE_MODES:
            raise SettingsError(f"failure_mode must be one of {', '.join(FAILURE_MODES)}, got {self.failure_mode!r}")
        _check_count(self.failure_count, "failure_count")
        object.__setattr__(self, "response_delay", _check_delay(self.response_delay, "response_delay"))

    @classmethod
    def from_env(cls, environ: Mapping[str, str], prefix: str = "MOCK_OFD_") -> FaultSettings:
        """Read `{prefix}FAILURE_MODE`, `{prefix}FAILURE_COUNT` and `{prefix}RESPONSE_DELAY`.

        An empty value counts as unset. `FAILURE_MODE=disabled` switches failures off even when a count is
        present (the seed's scenario 1); a count without a mode means count mode, since that is the only
        way the count is used.
        """
        mode_var, count_var, delay_var = (f"{prefix}{n}" for n in ("FAILURE_MODE", "FAILURE_COUNT", "RESPONSE_DELAY"))
        raw_mode = environ.get(mode_var, "").strip().lower()
        raw_count = environ.get(count_var, "").strip()
        raw_delay = environ.get(delay_var, "").strip()

        if raw_mode and raw_mode not in FAILURE_MODES:
            raise SettingsError(f"{mode_var} must be one of {', '.join(FAILURE_MODES)}, got {environ[mode_var]!r}")
        count = 0
        if raw_count:
            try:
                count = int(raw_count)
            except ValueError:
                count = -1
            if not 0 <= count <= MAX_FAILURE_COUNT:
                raise SettingsError(f"{count_var} must be {COUNT_RANGE}, got {environ[count_var]!r}")
        mode: FailureMode = raw_mode or ("count" if raw_count else "disabled")  # type: ignore[assignment]
        if mode == "count" and not raw_count:
            raise SettingsError(f"{count_var} is required when {mode_var}=count")
        delay = 0.0
        if raw_delay:
            try:
                delay = float(raw_delay)
            except ValueError:
                delay = math.nan
            if not 0 <= delay <= MAX_DELAY:  # NaN fails this too
                raise SettingsError(f"{delay_var} must be {DELAY_RANGE}, got {environ[delay_var]!r}")
        return cls(failure_mode=mode, failure_count=count if mode == "count" else 0, response_delay=delay)


class FailurePlan:
    """The failures armed for the next requests, and the delay before each answer.

    `take_failure()` is called once per request that can fail: a permanent failure always fails; otherwise
    each armed count fails one request and is used up. Thread-safe.
    """

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._settings = settings or FaultSettings()
        self._lock = threading.Lock()
        self._held: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()
        self.reset()

    def reset(self) -> None:
        """Back to how the emulator started (its `FaultSettings`)."""
        s = self._settings
        with self._lock:
            self._permanent = s.failure_mode == "permanent"
            self._remaining = s.failure_count if s.failure_mode == "count" else 0
            self._delay = s.response_delay

    def fail_next(self, count: int) -> None:
        """Fail exactly the next `count` requests (replacing whatever was armed)."""
        _check_count(count, "failure_count")
        with self._lock:
            self._permanent = False
            self._remaining = count

    def fail_permanently(self) -> None:
        with self._lock:
            self._permanent = True
            self._remaining = 0

    def recover(self) -> None:
        """Disarm all failures; the response delay stays (it is not a failure)."""
        with self._lock:
            self._permanent = False
            self._remaining = 0

    def set_delay(self, seconds: float) -> None:
        seconds = _check_delay(seconds, "delay")
        with self._lock:
            self._delay = seconds

    @property
    def delay(self) -> float:
        with self._lock:
            return self._delay

    async def hold(self, seconds: float) -> bool:
        """Wait `seconds` (the response delay); False if `release_held` cut it short: the emulator is stopping."""
        loop = asyncio.get_running_loop()
        released: asyncio.Future[None] = loop.create_future()
        with self._lock:
            self._held.add((loop, released))
        try:
            done, _ = await asyncio.wait({released}, timeout=seconds)
            return not done
        finally:
            with self._lock:
                self._held.discard((loop, released))
            released.cancel()

    def release_held(self) -> None:
        """End every delay in progress now (thread-safe); the server calls it as it stops.

        Uvicorn's graceful shutdown waits for the requests in flight, so an answer held back for minutes would
        keep a stopping emulator running for minutes.
        """
        with self._lock:
            held = list(self._held)
        for loop, released in held:
            with contextlib.suppress(RuntimeError):  # that loop has closed: nothing waits on it any more
                loop.call_soon_threadsafe(_release, released)

    def take_failure(self) -> bool:
        """Whether this request must fail; uses up one counted failure if so."""
        with self._lock:
            if self._permanent:
                return True
            if self._remaining > 0:
                self._remaining -= 1
                return True
            return False

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            mode = "permanent" if self._permanent else "count" if self._remaining else "disabled"
            return {
                "failure_mode": mode,
                "failures_remaining": self._remaining,
                "permanent_failure": self._permanent,
                "response_delay": self._delay,
            }


def _release(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
