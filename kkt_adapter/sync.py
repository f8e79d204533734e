"""Phase 2: deliver buffered receipts to the OFD, oldest (by HLC) first, exactly once.

Receipts and the FN's other documents (registration, shift and state reports: outbox.py) leave together, in
FD order per FN (buffer.due), the order the FN numbered them and the OFD expects them.

A run takes the sync lock, then repeatedly reads a batch of due documents, sends them with bounded
concurrency in that order, and commits the batch's outcomes in one transaction. It stops at the first
failure: a failure says something about the OFD, not the receipt, so later receipts wait rather than
overtake. Only calls really made count, toward the breaker and toward a receipt's attempts. After a failure
the worker sends one document at a time until the OFD answers again.

If the adapter dies after the OFD acknowledged a receipt but before the commit, the receipt is sent again
on restart; the OFD recognises it by FN serial and fiscal document number and acknowledges it as a
duplicate, and the receipt ends `synced` — never a second document at the OFD.

The worker wakes every `SYNC_INTERVAL`, at once when a receipt is fiscalized, when a retry backoff ends,
and when an open breaker is due for a trial. Backoffs and the breaker's wait only guess how long the OFD will
be away, so while receipts wait for either and the OFD was last unreachable, the worker asks the OFD's health
every `OFD_PROBE_INTERVAL` (a GET, never a receipt). Once the OFD is seen answering again (that health check,
or any delivery it takes), receipts held only by a backoff are due at once and an open breaker lets its trial
through: the queue moves within one probe interval of the OFD's return, not after the longest backoff.
An OFD that answered with errors is not trusted on its health check: only a delivery shows it is back.

After each batch's outcomes are committed, the register is told which of its documents the OFD confirmed
(acks.py), so the FN's unsent count and its 30-day limit are real.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from .acks import FnAcknowledgements
from .background import BackgroundTask
from .breaker import BreakerState, CircuitBreaker
from .buffer import Delivery, DeliveryOutcome, ReceiptBuffer
from .lock import SyncLock
from .metrics import Metrics
from .network import NetworkMonitor, NetworkStatus
from .ofd_client import Ofd, OfdAnswer

log = logging.getLogger(__name__)

WAITING_FOR_OFD = (NetworkStatus.UNKNOWN, NetworkStatus.OFFLINE)  # the health check can tell it is back


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base: float
    ceiling: float

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt: doubling, capped."""
        return min(self.ceiling, self.base * 2 ** (attempts - 1))


@dataclass
class SyncReport:
    """What one run did; returned by POST /v1/kkt/buffer/sync."""

    attempted: int = 0
    synced: int = 0
    duplicates: int = 0
    retrying: int = 0
    dead_lettered: int = 0
    stopped_by: str | None = None
    duration_ms: float = 0.0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SyncWorker:
    def __init__(
        self,
        buffer: ReceiptBuffer,
        ofd: Ofd,
        breaker: CircuitBreaker,
        network: NetworkMonitor,
        lock: SyncLock,
        metrics: Metrics,
        *,
        interval: float,
        batch_size: int,
        concurrency: int,
        retry: RetryPolicy,
        probe_interval: float = 5.0,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        acks: FnAcknowledgements | None = None,
    ) -> None:
        self._buffer = buffer
        self._acks = acks
        self._ofd = ofd
        self._breaker = breaker
        self._network = network
        self._lock = lock
        self._metrics = metrics
        self._interval = interval
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._retry = retry
        self._wall = wall
        self._probe_interval = probe_interval
        self._monotonic = monotonic
        self._next_probe_at = -math.inf
        self._answering_again = False
        self._wake = asyncio.Event()
        self._running = asyncio.Lock()
        self._task = BackgroundTask("sync-worker", self._loop)
        self._backoff_until: float | None = None
        self._backlog = False
        self.last_report: SyncReport | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task.start()

    async def stop(self) -> None:
        await self._task.stop()

    async def _loop(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for loses a cancel that lands as the event is set
            # (a receipt woke the worker just as the adapter stops), and the worker would run on forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._next_wait()):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.sync_now()
            except Exception:
                log.exception("sync run failed")

    def _next_wait(self) -> float:
        wait = self._interval
        if self._breaker.state is BreakerState.OPEN:
            wait = min(wait, self._breaker.retry_in + 0.001)
        elif self._backoff_until is not None:
            wait = max(0.0, min(wait, self._backoff_until - self._wall()))
        elif self._backlog:
            return 0.0
        if self._network.status in WAITING_FOR_OFD:
            wait = min(wait, max(0.0, self._next_probe_at - self._monotonic()))
        return wait

    async def sync_now(self, forced: bool = False) -> SyncReport:
        """One run: deliver what is due until the queue is empty, blocked, or a call fails.

        `forced` (an operator's "sync now") skips retry backoffs and, with nothing to send, checks the OFD's
        health anyway; the circuit breaker is respected either way.
        """
        async with self._running:
            started = time.perf_counter()
            report = SyncReport()
            try:
                if await self._lock.acquire():
                    try:
                        await self._run(report, forced)
                    finally:
                        await self._lock.release()
                else:
                    report.stopped_by = "another adapter instance holds the sync lock"
            finally:
                report.duration_ms = round((time.perf_counter() - started) * 1000, 2)
                self.last_report = report
            return report

    async def _run(self, report: SyncReport, forced: bool) -> None:
        self._backlog = False
        self._backoff_until = None
        if self._acks is not None and self._acks.outstanding:
            await self._acks.hand_over()
        while True:
            if self._breaker.state is BreakerState.OPEN:
                if await self._probe_while_waiting(report):
                    continue
                report.stopped_by = f"circuit breaker OPEN; next trial in {self._breaker.retry_in:.1f}s"
                return
            batch, blocked_until = await self._buffer.due(self._batch_size, math.inf if forced else self._wall())
            if not batch:
                if blocked_until is not None:
                    if await self._probe_while_waiting(report):
                        continue
                    self._backoff_until = blocked_until
                    report.stopped_by = f"retry backoff; next attempt in {blocked_until - self._wall():.1f}s"
                elif forced or self._network.status is not NetworkStatus.ONLINE or (
                    self._breaker.state is not BreakerState.CLOSED
                ):
                    await self._probe(report)
                return
            outcomes, failed = await self._deliver(batch, report)
            if outcomes:
                await self._buffer.record(outcomes)
                if self._acks is not None and any(o.kind == "synced" for o in outcomes):
                    await self._acks.hand_over()
            if failed:
                report.stopped_by = "OFD call failed"
                self._answering_again = False
                self._backlog = False
                retries = [o.next_attempt_at for o in outcomes if o.kind == "retry"]
                self._backoff_until = min(retries) if retries else None
                return
            if not outcomes:  # half-open: the trial slot was taken; wait for its verdict next run
                self._backlog = True
                return
            if self._answering_again:
                self._answering_again = False
                await self._release_backoffs()
            if not await self._lock.extend():
                report.stopped_by = "sync lock lost to another instance"
                return

    async def _deliver(self, batch: list[Delivery], report: SyncReport) -> tuple[list[DeliveryOutcome], bool]:
        # Full concurrency only while the OFD is known to answer; after a failure, one call at a time until it
        # does again, so failures stay consecutive for the breaker and a struggling OFD is not flooded.
        # A half-open breaker lets one trial through: sending the rest one by one after it keeps FD order.
        # The window slides from its oldest call: call i starts only once every call up to i - width has its
        # answer, so at most `width` are in flight and no document reaches the OFD behind more than width - 1
        # later ones, however slow one call is (a semaphore alone lets the other slots run past a slow call).
        trusted = self._network.status is NetworkStatus.ONLINE and self._breaker.state is BreakerState.CLOSED
        width = self._concurrency if trusted else 1
        answered = [False] * len(batch)
        answered_through = [asyncio.Event() for _ in batch]  # [k] is set once calls 0..k all have answers
        frontier = 0
        failed = False
        results: list[DeliveryOutcome | None] = [None] * len(batch)

        def note_answered(index: int) -> None:
            nonlocal frontier
            answered[index] = True
            while frontier < len(batch) and answered[frontier]:
                answered_through[frontier].set()
                frontier += 1

        async def deliver(index: int, delivery: Delivery) -> None:
            nonlocal failed
            try:
                if index >= width:
                    await answered_through[index - width].wait()
                if failed or not self._breaker.allow():
                    return
                report.attempted += 1
                started = time.perf_counter()
                answer = await self._ofd.send(delivery.document)
                self._metrics.ofd_request_seconds.observe(time.perf_counter() - started)
                outcome = self._judge(delivery, answer, report)
                if answer.kind in ("failed", "unreachable"):
                    failed = True
                results[index] = outcome
            finally:
                note_answered(index)

        await asyncio.gather(*(deliver(i, d) for i, d in enumerate(batch)))
        return [r for r in results if r is not None], failed

    def _judge(self, delivery: Delivery, answer: OfdAnswer, report: SyncReport) -> DeliveryOutcome:
        attempts = delivery.attempts + 1
        if answer.kind == "accepted":
            self._breaker.record_success()
            self._seen_answering()
            report.synced += 1
            report.duplicates += int(answer.duplicate)
            self._metrics.ofd_delivered.labels("duplicate" if answer.duplicate else "accepted").inc()
            self._metrics.delivery_lag.observe(max(0.0, self._wall() - _epoch(delivery.created_at)))
            return DeliveryOutcome(delivery.receipt_id, "synced", ack=answer.ack)
        self._metrics.ofd_errors.labels(answer.error_kind).inc()
        report.errors.append(answer.message)
        log.warning("OFD delivery failed", extra={"receipt_id": delivery.receipt_id, "attempt": attempts,
                                                  "kind": answer.error_kind, "error": answer.message})
        if answer.kind == "rejected":
            self._breaker.record_success()  # the OFD works; this document is what it refuses
            self._seen_answering()
            return self._dead_letter(delivery, answer.message, report)
        self._breaker.record_failure()
        if answer.kind == "unreachable":
            self._network.unreachable()
        else:
            self._network.answered_with_error()
        if attempts >= self._retry.max_attempts:
            return self._dead_letter(delivery, f"gave up after {attempts} attempts; last: {answer.message}", report)
        report.retrying += 1
        return DeliveryOutcome(delivery.receipt_id, "retry", error=answer.message,
                               next_attempt_at=self._wall() + self._retry.delay(attempts))

    def _dead_letter(self, delivery: Delivery, reason: str, report: SyncReport) -> DeliveryOutcome:
        report.dead_lettered += 1
        self._metrics.dead_lettered.inc()
        log.error("document moved to the DLQ", extra={"receipt_id": delivery.receipt_id, "reason": reason})
        return DeliveryOutcome(delivery.receipt_id, "dlq", error=reason)

    def _seen_answering(self) -> None:
        if self._network.status is not NetworkStatus.ONLINE:
            self._answering_again = True
        self._network.answered()

    async def _release_backoffs(self) -> None:
        released = await self._buffer.release_backoffs(self._wall())
        if released:
            log.info("the OFD answers again: receipts held by a retry backoff are due now",
                     extra={"receipts": released})

    async def _ask_health(self, report: SyncReport) -> OfdAnswer:
        self._next_probe_at = self._monotonic() + self._probe_interval
        answer = await self._ofd.probe()
        if answer.kind != "accepted":
            report.errors.append(f"OFD health check: {answer.message}")
            self._metrics.ofd_errors.labels(answer.error_kind).inc()
        return answer

    async def _probe_while_waiting(self, report: SyncReport) -> bool:
        """Receipts wait for a backoff or an open breaker: whether the OFD, last unreachable, answers again.

        At most once per probe interval. A failed check changes neither the breaker nor any receipt's
        attempts (it sent no receipt); a healthy one ends the breaker's wait (its trial decides) and the
        backoffs, and the caller goes on delivering.
        """
        if self._network.status not in WAITING_FOR_OFD or self._monotonic() < self._next_probe_at:
            return False
        answer = await self._ask_health(report)
        if answer.kind == "unreachable":
            self._network.unreachable()
            return False
        if answer.kind != "accepted":
            self._network.answered_with_error()
            return False
        self._breaker.end_wait()
        self._network.answered()
        await self._release_backoffs()
        return True

    async def _probe(self, report: SyncReport) -> None:
        """With nothing to send, learn whether the OFD is back, so status and breaker tell the truth."""
        if not self._breaker.allow():
            return
        answer = await self._ask_health(report)
        if answer.kind == "accepted":
            self._breaker.record_success()
            self._network.answered()
        elif answer.kind == "unreachable":
            self._breaker.record_failure()
            self._network.unreachable()
        else:
            self._breaker.record_failure()
            self._network.answered_with_error()


def _epoch(iso_utc: str) -> float:
    return datetime.strptime(iso_utc, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
