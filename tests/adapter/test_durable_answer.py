"""Durable before the answer: when the POS gets its 2xx, the receipt's fiscal data is already committed.

Two views of one promise. In-process, every COMMIT that records fiscal data is held on the buffer's database
thread, so an answer that leaves before its commit (a completion not awaited, callers answered before the
shared COMMIT) is seen every time, not by luck. Over HTTP, a real adapter under concurrent POS clients is
checked right after each 2xx, with no waiting: the row is `pending` with the fiscal data the POS got, and a
retry with the same key replays that answer.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kkt_adapter.buffer import ReceiptBuffer
from kkt_adapter.components import build_driver
from kkt_adapter.hlc import HybridLogicalClock
from kkt_adapter.metrics import Metrics
from kkt_adapter.receipt import ReceiptIn
from kkt_adapter.service import FiscalService, Outcome
from kkt_adapter.settings import load_settings
from kkt_adapter.vat import tag_table
from pytest_opticserp import KktAdapter, ReceiptFactory

HOLD_TIMEOUT = 10.0


class CommitGate:
    """Holds each COMMIT of a transaction that recorded fiscal data until the test releases it.

    Installed as the buffer connection's trace callback, so it runs on the database thread right before
    SQLite executes the statement: while it waits, that transaction is not committed.
    """

    def __init__(self) -> None:
        self.held = threading.Event()
        self._release = threading.Event()
        self._recording = False
        self._stopped = False

    def trace(self, sql: str) -> None:
        if "SET status = 'pending'" in sql:
            self._recording = True
        elif sql.strip().upper() == "COMMIT" and self._recording and not self._stopped:
            self._recording = False
            self._release.clear()
            self.held.set()
            self._release.wait(HOLD_TIMEOUT)

    def release(self) -> None:
        self.held.clear()
        self._release.set()

    def stop(self) -> None:
        self._stopped = True
        self.release()


def committed_row(path: Path, key: str) -> tuple[str, dict | None] | None:
    """What another process reading the buffer file sees now: status and fiscal data, or None."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT status, fiscal FROM receipts WHERE idempotency_key = ?", (key,)).fetchone()
    finally:
        db.close()
    return None if row is None else (row[0], json.loads(row[1]) if row[1] else None)


async def until_held_or_all_answered(gate: CommitGate, tasks: list[asyncio.Task]) -> bool:
    deadline = asyncio.get_running_loop().time() + HOLD_TIMEOUT
    while not gate.held.is_set():
        unanswered = [task for task in tasks if not task.done()]
        if not unanswered:
            return False
        assert asyncio.get_running_loop().time() < deadline, "no commit of fiscal data within 10 s"
        await asyncio.wait(unanswered, timeout=0.005)
    return True


async def test_no_answer_leaves_before_the_commit_of_its_fiscal_data(tmp_path: Path) -> None:
    settings = load_settings(None, buffer_db_path=tmp_path / "buffer.db", kkt_print_delay_min_ms=0,
                             kkt_print_delay_max_ms=0)
    buffer, driver = ReceiptBuffer(settings.buffer_db_path), build_driver(settings)
    await buffer.open()
    await driver.open()
    service = FiscalService(buffer, driver, capacity=1000, clock=HybridLogicalClock("test"), vat_tags=tag_table(),
                            taxation_system=1, metrics=Metrics())
    gate = CommitGate()
    await buffer._db.run(lambda conn: conn.set_trace_callback(gate.trace))  # noqa: SLF001 (the test's probe)
    factory = ReceiptFactory()
    requests = {f"key-{n}": ReceiptIn.model_validate(factory.sale(price=f"{100 + n}.00")).to_fiscal()
                for n in range(40)}
    holds = 0
    try:
        keys = list(requests)
        for start in range(0, len(keys), 8):  # eight POS clients at a time
            tasks = {key: asyncio.create_task(service.fiscalize(key, requests[key])) for key in keys[start:start + 8]}
            while await until_held_or_all_answered(gate, list(tasks.values())):
                holds += 1
                for _ in range(50):  # let anything already scheduled run: an early answer would finish now
                    await asyncio.sleep(0)
                for key, task in tasks.items():
                    if task.done():
                        answer: Outcome = task.result()
                        assert committed_row(buffer.path, key) == ("pending", answer.response["fiscal"]), (
                            f"{key} was answered before its fiscal data was committed")
                gate.release()
            for key, task in tasks.items():
                answer = task.result()
                assert committed_row(buffer.path, key) == ("pending", answer.response["fiscal"])
                retry = await service.fiscalize(key, requests[key])
                assert (retry.replayed, retry.response) == (True, answer.response)
    finally:
        gate.stop()
        await driver.close()
        await buffer.close()
    assert holds >= 5, f"only {holds} commits were held: the gate did not see the fiscal data being committed"


def test_after_every_2xx_the_row_is_pending_with_its_fiscal_data_and_a_retry_replays_it(
    kkt_adapter: KktAdapter,
) -> None:
    factory = ReceiptFactory()

    def pos_client(client_no: int) -> int:
        checked = 0
        for n in range(30):
            key, body = f"pos{client_no}-{n}", factory.sale(price=f"{client_no}{n}.00")
            answer = kkt_adapter.post_receipt(body, key=key)
            assert answer.status_code == 200, answer.text
            fiscal = answer.json()["fiscal"]
            row = committed_row(kkt_adapter.buffer_path, key)
            assert row is not None and row[0] in ("pending", "synced") and row[1] == fiscal, (
                f"{key}: right after the 2xx the buffer holds {row}")
            retry = kkt_adapter.post_receipt(body, key=key)
            assert retry.status_code == 200, f"{key}: a retry right after the 2xx got {retry.status_code} {retry.text}"
            assert retry.json() == answer.json() and retry.headers["Idempotent-Replayed"] == "true"
            checked += 1
        return checked

    with ThreadPoolExecutor(4) as pool:
        checked = sum(pool.map(pos_client, range(1, 5)))
    assert checked == 120
