"""How fast a backlog of buffered receipts drains to the OFD once it is back (target: 5,000 in under 5 s).

The adapter and the OFD emulator run as separate processes, as in a real stack. The backlog is written
straight into the buffer (the measured part is delivery, not fiscalization).
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from kkt_adapter.buffer import SCHEMA, utc_now
from kkt_adapter.drivers.base import FiscalData
from kkt_adapter.ofd_document import build_document
from kkt_adapter.receipt import ReceiptIn
from kkt_adapter.vat import tag_table
from pytest_opticserp import KktAdapter, ReceiptFactory, eventually, http_client
from pytest_opticserp.executors.opticserp import OpticserpProcess
from pytest_opticserp.ports import reserve_port, shared_port_dir

BACKLOG = 5000


def write_backlog(path: Path, count: int) -> None:
    request = ReceiptIn.model_validate(ReceiptFactory.guide()).to_fiscal()
    rows = []
    for n in range(1, count + 1):
        fiscal = FiscalData(fn_serial="9999078900012345", kkt_reg_number="0000000001012345", fiscal_doc_number=n,
                            fiscal_sign=str(1_000_000_000 + n), shift_number=1, receipt_number=n,
                            datetime="2026-11-21T10:00:00+03:00", operation=1, total=request.total, qr="")
        document = json.dumps(build_document(request, fiscal, tag_table(), 1))
        now = utc_now()
        rows.append((f"r{n}", f"k{n}", "h", "POS-001", "sale", request.total, request.to_json(), "pending",
                     f"{n:016d}-00000-bench", fiscal.fn_serial, n, document, now, now))
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        db.executemany(
            "INSERT INTO receipts (id, idempotency_key, request_hash, pos_id, operation, total, payload, status, hlc,"
            " fn_serial, fiscal_doc_number, document, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


@pytest.mark.kkt_adapter(redis=False, buffer_max_size=10000, sync_interval=0.5, circuit_breaker_recovery_timeout=0.2,
                         log_level="WARNING")
def test_a_backlog_of_5000_receipts_drains_to_the_ofd(kkt_adapter_unstarted: KktAdapter, request: pytest.FixtureRequest,
                                                      tmp_path_factory: pytest.TempPathFactory,
                                                      opticserp_report_figure) -> None:
    adapter = kkt_adapter_unstarted
    write_backlog(adapter.buffer_path, BACKLOG)
    reservation = reserve_port(shared_port_dir(request.config, tmp_path_factory), "ofd-emulator")
    ofd = OpticserpProcess("ofd-emulator", ["emulator", "ofd", "--port", str(reservation.port)], port=reservation.port,
                           health_path="/ofd/v1/health", logfile=adapter.workdir / "ofd.log", startup_timeout=15)
    adapter.restart(ofd_url=ofd.url)  # the OFD is not there yet: the backlog waits
    try:
        ofd.start()
        started = time.perf_counter()
        eventually(lambda: adapter.status()["pending_count"] == 0, "the backlog to drain", adapter.status,
                   timeout=120, interval=0.05)
        elapsed = time.perf_counter() - started
        ofd_health = http_client.get(f"{ofd.url}/ofd/v1/health").json()
    finally:
        ofd.stop()
        reservation.release()

    opticserp_report_figure(f"drain: {BACKLOG} buffered receipts delivered in {elapsed:.2f} s "
                            f"({BACKLOG / elapsed:.0f}/s; target under 5 s)")
    assert ofd_health["receipts_received"] == BACKLOG
    assert adapter.status()["synced_count"] == BACKLOG
