"""Failure injections a test armed on an emulator and never used, reported at teardown (as pytest-httpx does).

A `fail_next(5)` that no request consumed means the test did not exercise what it set up: it passes for
another reason than the one it states. Each arming is remembered; whatever is still armed when it is replaced,
disarmed (`recover()`, `reset()`) or the test ends is reported with the call that armed it.

    @pytest.mark.opticserp_emulators(assert_all_failures_used=False)   # opt out for one test
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest

MARKER = "opticserp_emulators"
MARKER_DESCRIPTION = (
    f"{MARKER}(assert_all_failures_used=True): emulator options for this test; assert_all_failures_used=False "
    "allows failures armed with fail_next(n) that no request used"
)


CALL_FAILED = pytest.StashKey[bool]()  # set by the plugin's report hook: a failed test's leftovers are noise


class _FailurePlan(Protocol):
    def snapshot(self) -> dict[str, object]: ...


class FailureInjecting(Protocol):
    """An emulator handle whose failures are armed through these methods (the OFD and the Odoo API)."""

    def fail_next(self, count: int) -> None: ...

    def fail_permanently(self) -> None: ...

    def recover(self) -> None: ...

    def reset(self) -> None: ...


@dataclass(frozen=True, kw_only=True)
class EmulatorOptions:
    """The `opticserp_emulators` marker's options; unknown names are a usage error."""

    assert_all_failures_used: bool = True

    @classmethod
    def for_item(cls, item: pytest.Item, default: bool = True) -> EmulatorOptions:
        kwargs: dict[str, Any] = {"assert_all_failures_used": default}
        for marker in reversed(list(item.iter_markers(MARKER))):
            if marker.args:
                raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only, got {marker.args!r}")
            kwargs.update(marker.kwargs)
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise pytest.UsageError(f"@pytest.mark.{MARKER}: {exc}; known: assert_all_failures_used") from None


@dataclass
class FailureLedger:
    """The counted failures armed on one emulator in one test, and those left unused."""

    name: str
    plan: _FailurePlan
    armed: str | None = None
    unused: list[str] = field(default_factory=list)

    def _remaining(self) -> int:
        return int(self.plan.snapshot()["failures_remaining"])  # type: ignore[call-overload]

    def settle(self, why: str) -> None:
        """Record what is still armed before it is replaced, disarmed, or the test ends."""
        remaining = self._remaining()
        if remaining:
            armed = self.armed or f"a failure count armed over HTTP ({self.name}'s admin set-failure)"
            self.unused.append(f"{self.name}.{armed}: {remaining} failure(s) never used ({why})")
        self.armed = None

    def watch(self, emulator: FailureInjecting, monkeypatch: pytest.MonkeyPatch) -> None:
        """Wrap the emulator's arming methods for this test; the monkeypatch undoes it."""
        fail_next, fail_permanently = emulator.fail_next, emulator.fail_permanently
        recover, reset = emulator.recover, emulator.reset

        def watched_fail_next(count: int) -> None:
            self.settle(f"replaced by fail_next({count})")
            fail_next(count)
            self.armed = f"fail_next({count})"

        def watched_fail_permanently() -> None:
            self.settle("replaced by fail_permanently()")
            fail_permanently()

        def watched_recover() -> None:
            self.settle("disarmed by recover()")
            recover()

        def watched_reset() -> None:
            self.settle("disarmed by reset()")
            reset()

        monkeypatch.setattr(emulator, "fail_next", watched_fail_next)
        monkeypatch.setattr(emulator, "fail_permanently", watched_fail_permanently)
        monkeypatch.setattr(emulator, "recover", watched_recover)
        monkeypatch.setattr(emulator, "reset", watched_reset)

    def failure_message(self) -> str | None:
        self.settle("still armed when the test ended")
        if not self.unused:
            return None
        return ("Failure injections armed but never used; the test did not exercise them:\n  "
                + "\n  ".join(self.unused)
                + f"\nUse them, or allow this with @pytest.mark.{MARKER}(assert_all_failures_used=False).")
