"""Prometheus metrics, in a registry per app so two adapters in one process never share counters."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from .breaker import BreakerState
from .buffer import BufferCounts
from .network import NetworkStatus

BREAKER_VALUES = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.receipts = Gauge("kkt_receipts", "Receipts in the buffer by status.", ["status"], registry=registry)
        self.buffer_pending = Gauge("kkt_buffer_pending", "Receipts not yet delivered to the OFD.",
                                    registry=registry)
        self.buffer_fill = Gauge("kkt_buffer_fill_ratio", "Undelivered receipts over capacity (0..1).",
                                 registry=registry)
        self.dlq_size = Gauge("kkt_dlq_size", "Receipts in the dead-letter queue.", registry=registry)
        self.fiscalized = Counter("kkt_receipts_fiscalized", "Receipts signed by the register.", registry=registry)
        self.receipt_seconds = Histogram(
            "kkt_receipt_request_seconds", "Time to answer POST /v1/kkt/receipt (phase 1).", registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.ofd_request_seconds = Histogram(
            "kkt_ofd_request_seconds", "Duration of one OFD delivery request.", registry=registry,
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.delivery_lag = Histogram(
            "kkt_ofd_delivery_lag_seconds", "From fiscalization to the OFD's acknowledgement.", registry=registry,
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600, 86400),
        )
        self.ofd_delivered = Counter("kkt_ofd_delivered", "Documents the OFD acknowledged.", ["result"],
                                     registry=registry)
        self.ofd_errors = Counter("kkt_ofd_errors", "Failed OFD calls by kind.", ["kind"], registry=registry)
        self.dead_lettered = Counter("kkt_dlq_moved", "Receipts moved to the DLQ.", registry=registry)
        self.breaker_state = Gauge("kkt_circuit_breaker_state", "0 closed, 1 half-open, 2 open.", registry=registry)
        self.breaker_failures = Gauge("kkt_circuit_breaker_failures", "Consecutive OFD failures.",
                                      registry=registry)
        self.network_status = Gauge("kkt_network_status", "1 for the current OFD network status.", ["status"],
                                    registry=registry)
        self.heartbeats = Counter("kkt_heartbeats", "Heartbeats to the Odoo API by result.", ["result"],
                                  registry=registry)
        self.sync_lock_redis = Gauge("kkt_sync_lock_redis", "1 when the sync lock is held in Redis, 0 when local.",
                                     registry=registry)

    def render(self, counts: BufferCounts, capacity: int, breaker: BreakerState, failures: int,
               network: NetworkStatus, redis_lock: bool) -> bytes:
        for status in ("fiscalizing", "pending", "synced", "dlq"):
            self.receipts.labels(status).set(getattr(counts, status))
        self.buffer_pending.set(counts.undelivered)
        self.buffer_fill.set(counts.undelivered / capacity)
        self.dlq_size.set(counts.dlq)
        self.breaker_state.set(BREAKER_VALUES[breaker])
        self.breaker_failures.set(failures)
        for status in NetworkStatus:
            self.network_status.labels(status.value).set(1 if status is network else 0)
        self.sync_lock_redis.set(1 if redis_lock else 0)
        return generate_latest(self.registry)
