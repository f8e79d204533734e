"""What storing a receipt durably costs the adapter, next to the cheapest durable write SQLite offers.

The baseline is one INSERT and COMMIT with the buffer's settings (WAL, synchronous=FULL) in the same
directory, so the same disk and the same fsync. The adapter's buffer commits twice per receipt (reserved as
`fiscalizing`, then completed as `pending`), and phase 1 adds the mock register's commit to its fiscal
drive, so about 2x and 3x the baseline are the floor; receipts in flight together share commits (group
commit), which brings each to about one baseline. Figures compare medians (fsync on a shared disk has long
tails).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvloop

from kkt_adapter.buffer import ReceiptBuffer
from kkt_adapter.drivers.base import FiscalData
from kkt_adapter.drivers.mock import MockKkt
from kkt_adapter.hlc import HybridLogicalClock
from kkt_adapter.metrics import Metrics
from kkt_adapter.ofd_document import build_document
from kkt_adapter.receipt import FiscalRequest, ReceiptIn
from kkt_adapter.service import FiscalService, build_response
from kkt_adapter.vat import tag_table
from pytest_opticserp.receipts import ReceiptFactory

ROUNDS = 100
IN_FLIGHT = 16
BASELINE = "raw INSERT+COMMIT"

pytestmark = pytest.mark.benchmark(group="durable write, per receipt")


@pytest.fixture(scope="module")
def medians() -> dict[str, float]:
    """Median seconds per receipt of each benchmark in this module, for the ratios."""
    return {}


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """uvloop, as the adapter runs on."""
    loop = uvloop.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def request_body() -> FiscalRequest:
    factory = ReceiptFactory()
    return ReceiptIn.model_validate(factory([factory.item("5000.00", 1, 22), factory.item("649.90", 2, 10)])
                                    ).to_fiscal()


@pytest.fixture
def buffer(tmp_path: Path, loop: asyncio.AbstractEventLoop) -> Iterator[ReceiptBuffer]:
    buffer = ReceiptBuffer(tmp_path / "buffer.db")
    loop.run_until_complete(buffer.open())
    yield buffer
    loop.run_until_complete(buffer.close())


def record(benchmark: Any, medians: dict[str, float], name: str, report_figure: Callable[[str], None],
           per_call: int = 1) -> None:
    if benchmark.stats is None:  # --benchmark-disable: the function ran once, nothing was measured
        return
    median = benchmark.stats.stats.median / per_call
    medians[name] = median
    base = medians.get(BASELINE)
    ratio = f" = {median / base:.2f}x {BASELINE} ({base * 1000:.2f} ms)" if base and name != BASELINE else ""
    report_figure(f"durable write: {name}: {median * 1000:.2f} ms per receipt (median){ratio}")


def test_a_raw_sqlite_insert_and_commit_with_synchronous_full(benchmark, tmp_path: Path, request_body,
                                                               medians, report_figure) -> None:
    db = sqlite3.connect(tmp_path / "raw.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE receipts (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
    payload = request_body.to_json()

    def insert() -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO receipts (payload) VALUES (?)", (payload,))
        db.execute("COMMIT")

    benchmark.pedantic(insert, rounds=ROUNDS, warmup_rounds=5)
    record(benchmark, medians, BASELINE, report_figure)
    assert db.execute("SELECT COUNT(*) FROM receipts").fetchone()[0] >= ROUNDS
    db.close()


class BufferWrites:
    """Reserve-then-complete, as phase 1 does, without the register: unique ids, keys and document numbers."""

    def __init__(self, buffer: ReceiptBuffer, request: FiscalRequest) -> None:
        self.buffer = buffer
        self.request = request
        self.numbers = itertools.count(1)
        self.fiscal = FiscalData(fn_serial="9999078900012345", kkt_reg_number="0000000001012345",
                                 fiscal_doc_number=0, fiscal_sign="1234567890", shift_number=1, receipt_number=1,
                                 datetime="2026-11-21T10:00:00+03:00", operation=1, total=request.total, qr="")
        self.clock = HybridLogicalClock("bench")
        self.payload = request.to_json()
        self.fingerprint = request.fingerprint()
        self.tags = tag_table()

    async def one(self) -> None:
        n = next(self.numbers)
        receipt_id, key = f"r{n}", f"k{n}"
        created_at = await self.buffer.reserve(
            receipt_id=receipt_id, key=key, request_hash=self.fingerprint, pos_id=self.request.pos_id,
            operation=self.request.operation, total=self.request.total, payload=self.payload,
            capacity=10**9, hlc=self.clock.now().encode())
        fiscal = dataclasses.replace(self.fiscal, fiscal_doc_number=n)
        await self.buffer.complete_fiscalization(
            receipt_id, fiscal, build_document(self.request, fiscal, self.tags, 1),
            build_response(receipt_id, key, self.request, fiscal, created_at))

    async def many(self, count: int) -> None:
        await asyncio.gather(*(self.one() for _ in range(count)))


def test_the_buffer_reserve_and_complete_one_receipt_at_a_time(benchmark, loop, buffer, request_body, medians,
                                                              report_figure) -> None:
    writes = BufferWrites(buffer, request_body)

    benchmark.pedantic(lambda: loop.run_until_complete(writes.one()), rounds=ROUNDS, warmup_rounds=5)
    record(benchmark, medians, "buffer reserve+complete, 1 in flight", report_figure)
    assert loop.run_until_complete(buffer.counts()).pending >= ROUNDS


def test_the_buffer_with_receipts_in_flight_together_shares_commits(benchmark, loop, buffer, request_body,
                                                                    medians, report_figure) -> None:
    writes = BufferWrites(buffer, request_body)

    benchmark.pedantic(lambda: loop.run_until_complete(writes.many(IN_FLIGHT)), rounds=ROUNDS // 4,
                       warmup_rounds=2)
    record(benchmark, medians, f"buffer reserve+complete, {IN_FLIGHT} in flight", report_figure, per_call=IN_FLIGHT)
    assert loop.run_until_complete(buffer.counts()).pending >= ROUNDS // 4 * IN_FLIGHT


def test_phase_1_without_http_stores_signs_and_completes(benchmark, loop, buffer, request_body, tmp_path: Path,
                                                         medians, report_figure) -> None:
    zone = ZoneInfo("Europe/Moscow")
    register = MockKkt(tmp_path / "mock_kkt.db", sign_key=b"bench", kkt_reg_number="0000000001012345",
                       print_delay=(0.0, 0.0), clock=lambda: datetime.now(zone))
    loop.run_until_complete(register.open())
    service = FiscalService(buffer, register, capacity=10**9, clock=HybridLogicalClock("bench"),
                            vat_tags=tag_table(), taxation_system=1, metrics=Metrics())
    keys = (f"key-{n}" for n in itertools.count())

    try:
        benchmark.pedantic(lambda: loop.run_until_complete(service.fiscalize(next(keys), request_body)),
                           rounds=ROUNDS, warmup_rounds=5)
        record(benchmark, medians, "phase 1 without HTTP (buffer + mock register, print delay 0)", report_figure)
        assert loop.run_until_complete(register.status())["receipts_total"] >= ROUNDS
    finally:
        loop.run_until_complete(register.close())
