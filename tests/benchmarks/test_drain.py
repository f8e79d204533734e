"""How fast a backlog of buffered receipts drains to the OFD once it is back (target: 5,000 in under 5 s).

The adapter and the OFD emulator run as separate processes, as in a real stack. The backlog is written
straight into the buffer (the measured part is delivery, not fiscalization).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

from kkt_adapter.buffer import SCHEMA, utc_now
from kkt_adapter.drivers.base import FiscalData
from kkt_adapter.ofd_document import build_document
from kkt_adapter.receipt import ReceiptIn
from kkt_adapter.vat import tag_table
from pytest_opticserp import http_client
from pytest_opticserp.executors.opticserp import answers
from tests.support import OPTICSERP, eventually, free_port, seed_receipt, wait_until_healthy

BACKLOG = 5000


def write_backlog(path: Path, count: int) -> None:
    request = ReceiptIn.model_validate(seed_receipt()).to_fiscal()
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


def test_a_backlog_of_5000_receipts_drains_to_the_ofd(run_adapter, tmp_path: Path, report_figure) -> None:
    write_backlog(tmp_path / "buffer.db", BACKLOG)
    ofd_port, adapter_port = free_port(), free_port()
    adapter_url, ofd_url = f"http://127.0.0.1:{adapter_port}", f"http://127.0.0.1:{ofd_port}"
    adapter = run_adapter("--port", str(adapter_port), OFD_URL=ofd_url, BUFFER_MAX_SIZE="10000",
                          SYNC_INTERVAL="0.5", CIRCUIT_BREAKER_RECOVERY_TIMEOUT="0.2", LOG_LEVEL="WARNING")
    wait_until_healthy(adapter_url, adapter)
    with (tmp_path / "ofd.log").open("w") as log:
        ofd = subprocess.Popen([OPTICSERP, "emulator", "ofd", "--port", str(ofd_port)], stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        eventually(lambda: answers(f"{ofd_url}/ofd/v1/health"), "the OFD emulator to start", timeout=15)
        started = time.perf_counter()
        eventually(lambda: http_client.get(f"{adapter_url}/v1/kkt/buffer/status").json()["pending_count"] == 0,
                   "the backlog to drain", lambda: http_client.get(f"{adapter_url}/v1/kkt/buffer/status").json(),
                   timeout=120, interval=0.05)
        elapsed = time.perf_counter() - started
        ofd_health = http_client.get(f"{ofd_url}/ofd/v1/health").json()
    finally:
        ofd.terminate()
        ofd.wait(timeout=10)

    report_figure(f"drain: {BACKLOG} buffered receipts delivered in {elapsed:.2f} s "
                  f"({BACKLOG / elapsed:.0f}/s; target under 5 s)")
    assert ofd_health["receipts_received"] == BACKLOG
    assert http_client.get(f"{adapter_url}/v1/kkt/buffer/status").json()["synced_count"] == BACKLOG
