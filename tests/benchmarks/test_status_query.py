"""The buffer status query with 100,000 receipts in the buffer (target: under 5 ms).

`GET /v1/kkt/buffer/status`, `/v1/health`, `/metrics` and every heartbeat read `ReceiptBuffer.counts()`, so it
must stay cheap however long the adapter has run. Two shapes of buffer: a long-running shop (almost all
synced) and a long outage with a large BUFFER_MAX_SIZE (everything pending, some already retried).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvloop

from kkt_adapter.buffer import SCHEMA, ReceiptBuffer, utc_now

RECEIPTS = 100_000
TARGET_MS = 5.0

pytestmark = pytest.mark.benchmark(group="status query, 100,000 receipts")


def fill(path: Path, statuses: dict[str, int], failed: int) -> None:
    """Write receipts straight into the buffer; `failed` of the pending ones carry a delivery error."""
    now = utc_now()
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        n = 0
        for status, count in statuses.items():
            rows = []
            for i in range(count):
                n += 1
                error = "HTTP 503" if status == "pending" and i < failed else None
                rows.append((f"r{n}", f"k{n}", "h", "POS-001", "sale", 500000, "{}", status, f"{n:016d}-00000-b",
                             "9999078900012345", n, error, now, now))
            db.executemany(
                "INSERT INTO receipts (id, idempotency_key, request_hash, pos_id, operation, total, payload, status,"
                " hlc, fn_serial, fiscal_doc_number, last_error, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = uvloop.new_event_loop()
    yield loop
    loop.close()


@pytest.mark.parametrize(
    ("shape", "statuses", "failed"),
    [
        ("long-running shop", {"synced": 97_000, "pending": 2_500, "dlq": 500}, 500),
        ("long outage", {"pending": RECEIPTS}, 10_000),
    ],
)
def test_measure_the_status_counts_with_100000_receipts(benchmark, loop, tmp_path: Path, opticserp_report_figure,
                                                        shape: str, statuses: dict[str, int], failed: int) -> None:
    """A measurement: it fails when the counts are wrong, and reports (never asserts) the time against the target."""
    fill(tmp_path / "buffer.db", statuses, failed)
    buffer = ReceiptBuffer(tmp_path / "buffer.db")
    loop.run_until_complete(buffer.open())
    try:
        counts = benchmark.pedantic(lambda: loop.run_until_complete(buffer.counts()), rounds=50, warmup_rounds=3)
    finally:
        loop.run_until_complete(buffer.close())

    assert counts.pending + counts.synced + counts.dlq == RECEIPTS
    assert counts.failed == failed
    if benchmark.stats is not None:
        stats = benchmark.stats.stats
        ratio = stats.median * 1000 / TARGET_MS
        opticserp_report_figure(f"status query, {RECEIPTS:,} receipts ({shape}): {stats.median * 1000:.2f} ms median, "
                                f"{stats.max * 1000:.2f} ms max; target under {TARGET_MS:g} ms "
                                f"{'met' if ratio < 1 else 'MISSED'} ({ratio:.2f}x the target)")
