"""Where a heartbeat is stored: the last one per adapter, the total count, and the request counters."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from emulators.faults import FailurePlan, FaultSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OdooApiCounters:
    calls: int = 0  # heartbeat posts, whatever their outcome
    accepted: int = 0  # heartbeats stored (the health's heartbeats_received)
    rejected: int = 0  # invalid heartbeats
    failed_injected: int = 0  # answered 503 by failure injection


@dataclass(frozen=True)
class ReceivedHeartbeat:
    adapter_id: str
    payload: dict[str, Any]  # the JSON object as sent
    received_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "adapter_id": self.adapter_id,
            "payload": self.payload,
            "received_at": self.received_at.isoformat(),
        }


class OdooApiState:
    """Thread-safe: the server thread stores, the test thread reads and waits."""

    def __init__(self, faults: FaultSettings | None = None, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.faults = FailurePlan(faults)
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._last: dict[str, ReceivedHeartbeat] = {}
        self._counters = OdooApiCounters()

    def _bump(self, **delta: int) -> None:
        current = asdict(self._counters)
        self._counters = OdooApiCounters(**{k: v + delta.get(k, 0) for k, v in current.items()})
        self._changed.notify_all()

    def note_call(self) -> None:
        with self._lock:
            self._bump(calls=1)

    def note_injected_failure(self) -> None:
        with self._lock:
            self._bump(failed_injected=1)

    def note_rejected(self) -> None:
        with self._lock:
            self._bump(rejected=1)

    def store(self, adapter_id: str, payload: dict[str, Any]) -> ReceivedHeartbeat:
        received = ReceivedHeartbeat(adapter_id, payload, self._clock())
        with self._lock:
            self._last[adapter_id] = received
            self._bump(accepted=1)
        return received

    @property
    def counters(self) -> OdooApiCounters:
        with self._lock:
            return self._counters

    @property
    def heartbeats_received(self) -> int:
        return self.counters.accepted

    def heartbeats(self) -> dict[str, ReceivedHeartbeat]:
        """The last heartbeat of each adapter."""
        with self._lock:
            return dict(self._last)

    def last_heartbeat(self, adapter_id: str) -> ReceivedHeartbeat | None:
        with self._lock:
            return self._last.get(adapter_id)

    def wait_for(self, count: int, timeout: float = 10.0, *, adapter_id: str | None = None) -> None:
        """Block until `count` heartbeats in total have been stored (and one from `adapter_id`, if given)."""

        def done() -> bool:
            return self._counters.accepted >= count and (adapter_id is None or adapter_id in self._last)

        with self._lock:
            if not self._changed.wait_for(done, timeout):
                c = self._counters
                who = f" including one from {adapter_id!r}" if adapter_id else ""
                raise TimeoutError(
                    f"Odoo API emulator: expected {count} heartbeat(s){who} within {timeout}s, "
                    f"got {c.accepted} from {sorted(self._last)} (calls={c.calls}, rejected={c.rejected}, "
                    f"failed_injected={c.failed_injected})"
                )

    def reset(self) -> None:
        """Forget heartbeats and counters and re-arm the failures the emulator started with."""
        with self._lock:
            self._last.clear()
            self._counters = OdooApiCounters()
            self._changed.notify_all()
        self.faults.reset()

    def stats(self) -> dict[str, Any]:
        return {
            "heartbeats_received": self.heartbeats_received,
            **asdict(self.counters),
            **self.faults.snapshot(),
        }
