"""After an outage the queue moves as soon as the OFD answers, not when the head receipt's backoff ends.

The sync worker with the adapter's default timings, a real buffer, and an OFD that is either down (refused)
or up; the wall and monotonic clocks are the test's, so a 2-minute outage takes no real time. The worker is
stepped along its own schedule (`_next_wait`), as its background loop would be.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kkt_adapter.breaker import BreakerState, CircuitBreaker
from kkt_adapter.buffer import DeliveryOutcome, ReceiptBuffer
from kkt_adapter.drivers.base import FiscalData
from kkt_adapter.lock import SyncLock
from kkt_adapter.metrics import Metrics
from kkt_adapter.network import NetworkMonitor
from kkt_adapter.ofd_client import OfdAnswer
from kkt_adapter.settings import Settings
from kkt_adapter.sync import RetryPolicy, SyncWorker

DEFAULTS = Settings.model_fields
EPOCH = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.elapsed = 0.0

    def wall(self) -> float:
        return EPOCH + self.elapsed

    def monotonic(self) -> float:
        return self.elapsed


class Ofd:
    """Up or down; what it received, in order, and how often it was asked for its health."""

    def __init__(self) -> None:
        self.up = False
        self.received: list[int] = []
        self.health_checks = 0

    async def send(self, document: str) -> OfdAnswer:
        if not self.up:
            return OfdAnswer("unreachable", "refused", "cannot connect to the OFD")
        self.received.append(json.loads(document)["n"])
        return OfdAnswer("accepted", ack={"duplicate": False})

    async def probe(self) -> OfdAnswer:
        self.health_checks += 1
        return OfdAnswer("accepted") if self.up else OfdAnswer("unreachable", "refused", "cannot connect")


@pytest.fixture
async def buffer(tmp_path: Path) -> AsyncIterator[ReceiptBuffer]:
    store = ReceiptBuffer(tmp_path / "buffer.db")
    await store.open()
    yield store
    await store.close()


async def fill(buffer: ReceiptBuffer, count: int) -> None:
    for n in range(count):
        await buffer.reserve(receipt_id=f"r{n}", key=f"k{n}", request_hash="h", pos_id="POS-001", operation="sale",
                             total=100, payload="{}", capacity=10_000, hlc=f"{n:016d}-00000-test")
        fiscal = FiscalData(fn_serial="9999078900012345", kkt_reg_number="1", fiscal_doc_number=n + 1,
                            fiscal_sign="1", shift_number=1, receipt_number=n + 1,
                            datetime="2026-11-21T10:00:00+03:00", operation=1, total=100, qr="t=...")
        await buffer.complete_fiscalization(f"r{n}", fiscal, {"n": n}, {"status": "fiscalized"})


def default_worker(buffer: ReceiptBuffer, ofd: Ofd, clock: Clock) -> SyncWorker:
    """SYNC_INTERVAL 30, breaker 5 / 30 s, retries from 1 s doubling to 300 s, OFD_PROBE_INTERVAL 5 s."""
    return SyncWorker(
        buffer, ofd, CircuitBreaker(DEFAULTS["circuit_breaker_threshold"].default,
                                    DEFAULTS["circuit_breaker_recovery_timeout"].default, clock.monotonic),
        NetworkMonitor(), SyncLock(None, "test", 30), Metrics(),
        interval=DEFAULTS["sync_interval"].default, batch_size=DEFAULTS["sync_batch_size"].default,
        concurrency=DEFAULTS["ofd_max_concurrency"].default,
        retry=RetryPolicy(DEFAULTS["ofd_max_attempts"].default, DEFAULTS["ofd_retry_base"].default,
                          DEFAULTS["ofd_retry_max"].default),
        probe_interval=DEFAULTS["ofd_probe_interval"].default, wall=clock.wall, monotonic=clock.monotonic,
    )


def query(buffer: ReceiptBuffer, sql: str) -> tuple:
    with contextlib.closing(sqlite3.connect(buffer.path)) as db:
        return db.execute(sql).fetchone()


async def run_until(worker: SyncWorker, clock: Clock, done, limit: float) -> float:
    """Step the worker along its own schedule until `done()` or `limit` seconds; the time it took."""
    started = clock.elapsed
    while not await done() and clock.elapsed - started < limit:
        clock.elapsed = min(started + limit, clock.elapsed + worker._next_wait())
        await worker.sync_now()
    return clock.elapsed - started


async def test_after_a_two_minute_outage_the_queue_drains_within_one_probe_interval(buffer: ReceiptBuffer) -> None:
    clock, ofd = Clock(), Ofd()
    await fill(buffer, 235)
    worker = default_worker(buffer, ofd, clock)

    async def never() -> bool:
        return False

    await run_until(worker, clock, never, limit=120)
    head_attempts, head_due = query(buffer, "SELECT attempts, next_attempt_at FROM receipts ORDER BY hlc LIMIT 1")
    assert head_attempts >= 6 and head_due - clock.wall() > 5, "the outage left the head waiting out a backoff"

    ofd.up = True

    async def drained() -> bool:
        return (await buffer.counts()).synced == 235

    took = await run_until(worker, clock, drained, limit=DEFAULTS["ofd_retry_max"].default)
    assert took <= DEFAULTS["ofd_probe_interval"].default, f"drained {took:.1f} s after the OFD came back"
    assert ofd.received == list(range(235)), "each receipt once, in HLC order"
    assert worker._breaker.state is BreakerState.CLOSED


async def test_after_a_success_receipts_held_only_by_backoff_are_due_at_once(buffer: ReceiptBuffer) -> None:
    clock, ofd = Clock(), Ofd()
    await fill(buffer, 3)
    worker = default_worker(buffer, ofd, clock)
    await worker.sync_now()  # the OFD is down: the head fails, the network is OFFLINE
    await buffer.record([DeliveryOutcome("r0", "retry", error="refused", next_attempt_at=clock.wall()),
                         DeliveryOutcome("r1", "retry", error="refused", next_attempt_at=clock.wall() + 300)])
    ofd.up = True

    await worker.sync_now()  # the head's backoff is over; the OFD takes it

    assert ofd.received == [0, 1, 2]
    assert (await buffer.counts()).synced == 3


async def test_a_health_check_while_the_ofd_is_down_sends_no_receipt_and_costs_no_attempt(
    buffer: ReceiptBuffer,
) -> None:
    clock, ofd = Clock(), Ofd()
    await fill(buffer, 1)
    worker = default_worker(buffer, ofd, clock)

    async def never() -> bool:
        return False

    await run_until(worker, clock, never, limit=120)
    (attempts,) = query(buffer, "SELECT attempts FROM receipts")
    assert ofd.health_checks >= 120 / DEFAULTS["ofd_probe_interval"].default - 6
    assert attempts <= 8, "health checks are not delivery attempts"
