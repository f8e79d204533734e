"""The SQLite buffer on its own: capacity, the phase-1 states, counts."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from kkt_adapter.buffer import BufferFull, DeliveryOutcome, KeyTaken, ReceiptBuffer
from kkt_adapter.drivers.base import FiscalData

FISCAL = FiscalData(fn_serial="9999078900012345", kkt_reg_number="1", fiscal_doc_number=2, fiscal_sign="1",
                    shift_number=1, receipt_number=1, datetime="2026-11-21T10:00:00+03:00", operation=1,
                    total=100, qr="t=...")


@pytest.fixture
async def buffer(tmp_path: Path):
    store = ReceiptBuffer(tmp_path / "buffer.db")
    await store.open()
    yield store
    await store.close()


async def reserve(buffer: ReceiptBuffer, n: int, capacity: int = 10) -> str:
    return await buffer.reserve(receipt_id=f"id{n}", key=f"key{n}", request_hash="h", pos_id="POS-001",
                                operation="sale", total=100, payload="{}", capacity=capacity,
                                hlc=f"{n:016d}-00000-test")


async def test_a_reserved_receipt_is_fiscalizing_until_completed(buffer: ReceiptBuffer) -> None:
    await reserve(buffer, 1)
    assert (await buffer.counts()).fiscalizing == 1
    await buffer.complete_fiscalization("id1", FISCAL, {}, {"status": "fiscalized"})
    counts = await buffer.counts()
    assert (counts.fiscalizing, counts.pending) == (0, 1)
    assert (await buffer.find_by_key("key1")).response == {"status": "fiscalized"}


async def test_reserving_beyond_capacity_raises_and_stores_nothing(buffer: ReceiptBuffer) -> None:
    await reserve(buffer, 1, capacity=1)
    with pytest.raises(BufferFull):
        await reserve(buffer, 2, capacity=1)
    assert await buffer.find_by_key("key2") is None


async def test_a_taken_key_is_told_as_taken_even_when_the_buffer_is_full(buffer: ReceiptBuffer) -> None:
    """So a POS retrying an accepted receipt gets its answer again, not a 503."""
    await reserve(buffer, 1, capacity=1)
    with pytest.raises(KeyTaken):
        await buffer.reserve(receipt_id="other", key="key1", request_hash="h", pos_id="P", operation="sale",
                             total=1, payload="{}", capacity=1, hlc="x")


async def test_discard_forgets_only_unsigned_receipts(buffer: ReceiptBuffer) -> None:
    await reserve(buffer, 1)
    await reserve(buffer, 2)
    await buffer.complete_fiscalization("id2", FISCAL, {}, {})
    await buffer.discard("id1")
    await buffer.discard("id2")
    assert await buffer.find_by_key("key1") is None
    assert (await buffer.find_by_key("key2")).status == "pending"


async def test_completing_twice_is_an_error(buffer: ReceiptBuffer) -> None:
    await reserve(buffer, 1)
    await buffer.complete_fiscalization("id1", FISCAL, {}, {})
    with pytest.raises(LookupError):
        await buffer.complete_fiscalization("id1", FISCAL, {}, {})


async def test_one_key_cannot_be_stored_twice(buffer: ReceiptBuffer) -> None:
    await reserve(buffer, 1)
    with pytest.raises(KeyTaken):
        await buffer.reserve(receipt_id="other", key="key1", request_hash="h", pos_id="P", operation="sale",
                             total=1, payload="{}", capacity=10, hlc="x")


async def test_counts_follow_every_change_and_survive_a_reopen(buffer: ReceiptBuffer, tmp_path: Path) -> None:
    from kkt_adapter.buffer import DeliveryOutcome

    for n in range(4):
        await reserve(buffer, n)
    for n in range(3):
        await buffer.complete_fiscalization(f"id{n}", replace(FISCAL, fiscal_doc_number=n + 2), {}, {})
    await buffer.record([DeliveryOutcome("id0", "synced", ack={}), DeliveryOutcome("id1", "retry", error="503"),
                         DeliveryOutcome("id2", "dlq", error="rejected")])
    await buffer.discard("id3")
    expected = (0, 1, 1, 1, 1)  # fiscalizing, pending, synced, failed, dlq

    counts = await buffer.counts()
    assert (counts.fiscalizing, counts.pending, counts.synced, counts.failed, counts.dlq) == expected
    with sqlite3.connect(tmp_path / "buffer.db") as db:
        db.execute("DELETE FROM receipt_counts")  # as if the buffer came from before the counts existed
    await buffer.close()
    reopened = ReceiptBuffer(tmp_path / "buffer.db")
    await reopened.open()
    counts = await reopened.counts()
    await reopened.close()
    assert (counts.fiscalizing, counts.pending, counts.synced, counts.failed, counts.dlq) == expected


async def test_pending_receipts_leave_in_hlc_order_even_when_created_at_says_otherwise(tmp_path: Path) -> None:
    clock = [1_763_700_000_000]
    store = ReceiptBuffer(tmp_path / "buffer.db", wall_ms=lambda: clock[0])
    await store.open()
    try:
        # The wall clock steps back between receipts (an NTP correction, a hand-set clock); the HLC does not.
        for n, step_ms in enumerate((0, -3_600_000, -60_000, 7_200_000)):
            clock[0] += step_ms
            await reserve(store, n)
            await store.complete_fiscalization(f"id{n}", replace(FISCAL, fiscal_doc_number=n + 2), {}, {})
        due, _ = await store.due(limit=10, now=float("inf"))
    finally:
        await store.close()

    with sqlite3.connect(tmp_path / "buffer.db") as db:
        by_created = [row[0] for row in db.execute("SELECT id FROM receipts ORDER BY created_at")]
    assert by_created == ["id2", "id1", "id0", "id3"], "created_at is read from the clock that stepped back"
    assert [d.receipt_id for d in due] == ["id0", "id1", "id2", "id3"]


def fn_doc(fd: int, doc_type: int = 2) -> dict:
    return {"doc_type": doc_type, "fn_serial": FISCAL.fn_serial, "fiscal_doc_number": fd}


async def test_receipts_and_the_fns_other_documents_leave_in_fd_order_whatever_the_hlc(buffer: ReceiptBuffer) -> None:
    # Signed concurrently: the receipt stamped first took the later number.
    await reserve(buffer, 1)
    await reserve(buffer, 2)
    await buffer.complete_fiscalization("id1", replace(FISCAL, fiscal_doc_number=5), {}, {})
    await buffer.complete_fiscalization("id2", replace(FISCAL, fiscal_doc_number=3), {}, {})
    assert await buffer.outbox.store([fn_doc(1, 1), fn_doc(2), fn_doc(4, 5), fn_doc(2)]) == 3  # a copy twice: once
    due, blocked = await buffer.due(10, now=0.0)
    assert blocked is None
    assert [d.receipt_id for d in due] == [f"fn-document:{FISCAL.fn_serial}:1", f"fn-document:{FISCAL.fn_serial}:2",
                                           "id2", f"fn-document:{FISCAL.fn_serial}:4", "id1"]
    counts = await buffer.counts()
    assert (counts.pending, counts.documents_pending) == (2, 3)


async def test_a_document_given_up_on_is_listed_in_the_dlq_and_can_be_redriven(buffer: ReceiptBuffer) -> None:
    await buffer.outbox.store([fn_doc(2)])
    document_id = f"fn-document:{FISCAL.fn_serial}:2"
    await buffer.record([DeliveryOutcome(document_id, "dlq", error="rejected: shift_number")])
    (entry,) = await buffer.dlq.entries()
    assert (entry["doc_type"], entry["fiscal_doc_number"], entry["reason"]) == (2, 2, "rejected: shift_number")
    assert (await buffer.counts()).documents_dlq == 1
    assert await buffer.dlq.redrive(entry["id"]) == 1
    assert [d.receipt_id for d in (await buffer.due(10, now=0.0))[0]] == [document_id]


async def test_a_delivered_document_is_listed_for_the_fn_with_the_operators_sign(buffer: ReceiptBuffer) -> None:
    await buffer.outbox.store([fn_doc(1, 1)])
    ack = {"operator_confirmation": {"operator_sign": "123456"}}
    await buffer.record([DeliveryOutcome(f"fn-document:{FISCAL.fn_serial}:1", "synced", ack=ack)])
    assert await buffer.fn_acknowledgements.pending(FISCAL.fn_serial, 10) == [(1, "123456")]
