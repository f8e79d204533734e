"""Where a failure is injected: the failure plan shared by the HTTP emulators.

The seed configures the mock OFD by environment (`MOCK_OFD_FAILURE_MODE`, `MOCK_OFD_FAILURE_COUNT`,
`MOCK_OFD_RESPONSE_DELAY`) and at runtime through admin endpoints; both end up in a `FailurePlan`, which the
server thread consults per request while a test thread changes it, hence the lock. The bounds and types of a
failure count and a delay are declared once (`FailureCount`, `Delay`) and checked by pydantic for the
environment, the code and the admin endpoints alike (`check`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import weakref
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from fiscal.environ import read_environ, variables

FailureMode = Literal["disabled", "count", "permanent"]
FAILURE_MODES: tuple[FailureMode, ...] = ("disabled", "count", "permanent")
ENV_PREFIX = "MOCK_OFD_"


class SettingsError(ValueError):
    """A setting has a value the emulator cannot use; the message names the setting (or its variable)."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name} {problem}")
        self.name = name
        self.problem = problem


# Bounds that keep an emulator controllable: a longer delay would outlast any test (and its shutdown), and a
# larger count is a typo rather than a plan.
MAX_DELAY = 600.0
MAX_FAILURE_COUNT = 1_000_000
DELAY_RANGE = f"between 0 and {MAX_DELAY:g} seconds"
COUNT_RANGE = f"an integer between 0 and {MAX_FAILURE_COUNT}"


def _stripped(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _not_a_bool(value: object) -> object:
    if isinstance(value, bool):  # True is an int to Python, and a typo to a person
        raise ValueError("a number, not true or false")
    return value


FailureCount = Annotated[int, BeforeValidator(_not_a_bool),
                         Field(ge=0, le=MAX_FAILURE_COUNT, description=f"Failures to inject, {COUNT_RANGE}.")]
Delay = Annotated[float, BeforeValidator(_not_a_bool),
                  Field(ge=0, le=MAX_DELAY, allow_inf_nan=False, description=f"Seconds per answer, {DELAY_RANGE}.")]
Mode = Annotated[FailureMode, BeforeValidator(_stripped)]

# What each setting must be, in the words of every error about it.
EXPECTED = {"failure_mode": f"one of {', '.join(FAILURE_MODES)}", "failure_count": COUNT_RANGE,
            "response_delay": DELAY_RANGE}
_CHECKS = {"failure_count": TypeAdapter(FailureCount), "response_delay": TypeAdapter(Delay)}


def check(setting: str, value: object, name: str | None = None) -> Any:
    """`value` for `setting` (failure_count, response_delay) as given in code or JSON: typed strictly (no
    strings, no booleans) and within its bounds; else SettingsError naming `name` (default: the setting)."""
    try:
        return _CHECKS[setting].validate_python(value, strict=True)
    except ValidationError:
        raise SettingsError(name or setting, f"must be {EXPECTED[setting]}, got {value!r}") from None


class FaultSettings(BaseSettings):
    """How an emulator starts: which failures are armed and how long each answer is delayed.

    Built in code it takes only what the code gives; `from_env` reads the variables
    `{prefix}FAILURE_MODE`, `{prefix}FAILURE_COUNT` and `{prefix}RESPONSE_DELAY`.
    """

    model_config = SettingsConfigDict(frozen=True, extra="forbid", env_prefix=ENV_PREFIX)

    failure_mode: Mode = "disabled"
    failure_count: FailureCount = 0
    response_delay: Delay = 0.0

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise _settings_error(exc, values) from None

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   **sources: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what the code gives: an emulator built in a test must not pick up a developer's variables."""
        return (init_settings,)

    @classmethod
    def variables(cls, prefix: str = ENV_PREFIX) -> set[str]:
        """The environment variables `from_env(..., prefix)` reads."""
        return variables(cls, prefix)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, prefix: str = ENV_PREFIX) -> FaultSettings:
        """The settings in `environ` (default: this process's environment), read by pydantic-settings.

        An empty value counts as unset. `FAILURE_MODE=disabled` switches failures off even when a count is
        present (the seed's scenario 1); a count without a mode means count mode, since that is the only
        way the count is used.
        """
        given = os.environ if environ is None else environ
        values = {name: text for name, text in read_environ(cls, given, prefix).items() if text}
        mode = _stripped(values.get("failure_mode", "count" if "failure_count" in values else "disabled"))
        if mode == "count" and "failure_count" not in values:
            raise SettingsError(f"{prefix}FAILURE_COUNT", f"is required when {prefix}FAILURE_MODE=count")
        try:
            settings = cls(**{**values, "failure_mode": mode})
        except SettingsError as exc:
            variable = f"{prefix}{exc.name}".upper()
            raise SettingsError(variable, exc.problem) from None
        if mode != "count":  # a count given beside another mode is checked, and unused
            return cls(failure_mode=mode, response_delay=settings.response_delay)
        return settings


def _settings_error(exc: ValidationError, given: Mapping[str, object]) -> SettingsError:
    setting = str(exc.errors()[0]["loc"][0])
    if setting not in EXPECTED:
        return SettingsError(setting, "is not a fault setting")
    return SettingsError(setting, f"must be {EXPECTED[setting]}, got {given.get(setting)!r}")


class FailurePlan:
    """The failures armed for the next requests, and the delay before each answer.

    `take_failure()` is called once per request that can fail: a permanent failure always fails; otherwise
    each armed count fails one request and is used up. Thread-safe.
    """

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._settings = settings or FaultSettings()
        self._lock = threading.Lock()
        self._held: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()
        # The event loops of servers that have begun to stop: nothing is held back on them any more.
        self._stopping: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
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
        check("failure_count", count)
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
        seconds = check("response_delay", seconds, "delay")
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
            if loop in self._stopping:
                return False
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
        keep a stopping emulator running for minutes. Called on the stopping server's event loop (as the server
        does), it also marks that loop: a request already being read, which reaches its delay a moment later, is
        not held either (it used to wait out the delay, and the stop took uvicorn's 5 s backstop). A server
        started again runs a new loop, and holds answers again.
        """
        with self._lock:
            with contextlib.suppress(RuntimeError):  # no loop running here: only the delays in progress end
                self._stopping.add(asyncio.get_running_loop())
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
