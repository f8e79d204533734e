"""Idempotency under load: duplicates, concurrent or retried, make one receipt and one OFD document, and one
shift document per shift call."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from pytest_opticserp import KktAdapter
from scenarios.conftest import assert_gap_free, fn_documents, shift_totals

pytestmark = pytest.mark.idempotency


def test_concurrent_duplicates_of_many_receipts_make_one_each(kkt_adapter: KktAdapter, ofd_emulator,
                                                              fiscal_receipt_factory) -> None:
    keys = [fiscal_receipt_factory.key() for _ in range(20)]
    bodies = {key: fiscal_receipt_factory.sale(price=f"{100 + n}.00") for n, key in enumerate(keys)}

    async def crowd() -> list[tuple[str, httpx.Response]]:
        async with httpx.AsyncClient(base_url=kkt_adapter.url, timeout=30) as client:
            async def post(key: str) -> tuple[str, httpx.Response]:
                return key, await client.post("/v1/kkt/receipt", json=bodies[key],
                                              headers={"X-Idempotency-Key": key})
            return await asyncio.gather(*(post(key) for key in keys for _ in range(5)))

    results = asyncio.run(crowd())
    assert {response.status_code for _, response in results} == {200}
    by_key: dict[str, set[int]] = {}
    for key, response in results:
        by_key.setdefault(key, set()).add(response.json()["fiscal"]["fiscal_doc_number"])
    assert all(len(numbers) == 1 for numbers in by_key.values())
    kkt_adapter.wait_until_synced(20)
    assert ofd_emulator.receipts_received == 20 and ofd_emulator.counters.duplicates == 0


def test_a_retry_long_after_delivery_is_answered_from_the_buffer(kkt_adapter: KktAdapter, ofd_emulator) -> None:
    first = kkt_adapter.post_receipt(key="retried-later")
    kkt_adapter.wait_until_synced(1)
    kkt_adapter.restart()
    again = kkt_adapter.post_receipt(key="retried-later")
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    # One call per FN document (registration, the shift the sale opened, the receipt): nothing sent twice.
    assert ofd_emulator.receipts_received == 1
    assert ofd_emulator.counters.calls == first.json()["fiscal"]["fiscal_doc_number"]


def test_reusing_a_key_for_another_receipt_is_refused_under_load(kkt_adapter: KktAdapter,
                                                                 fiscal_receipt_factory) -> None:
    kkt_adapter.post_receipt(fiscal_receipt_factory.sale(price="10.00"), key="reused")
    conflicts = [kkt_adapter.post_receipt(fiscal_receipt_factory.sale(price=f"{11 + n}.00"), key="reused")
                 for n in range(10)]
    assert {r.status_code for r in conflicts} == {409}
    status = kkt_adapter.status()  # one read: a receipt moving to synced between two reads would count twice
    assert status["pending_count"] + status["synced_count"] == 1


async def _crowd(adapter: KktAdapter, calls: list[tuple[str, str]], body: dict | None = None) -> list[httpx.Response]:
    """POST every (path under /v1/kkt, key) at once."""
    async with httpx.AsyncClient(base_url=adapter.url, timeout=30) as client:
        return await asyncio.gather(*(client.post(f"/v1/kkt/{path}", json=body, headers={"X-Idempotency-Key": key})
                                      for path, key in calls))


@pytest.mark.kkt_adapter(kkt_print_delay_min_ms=50, kkt_print_delay_max_ms=50)
def test_concurrent_duplicate_shift_calls_make_one_document_each(kkt_adapter: KktAdapter,
                                                                 fiscal_receipt_factory) -> None:
    body = fiscal_receipt_factory.sale(price="2500.00", tax_rate=20)
    assert kkt_adapter.post_receipt(body).status_code == 200
    shift = kkt_adapter.shift()["shift_number"]

    closes = asyncio.run(_crowd(kkt_adapter, [("shift/close", "z-crowd")] * 10))
    opens = asyncio.run(_crowd(kkt_adapter, [("shift/open", "open-crowd")] * 10))

    for responses in (closes, opens):
        assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
        assert len({r.json()["document"]["fiscal_doc_number"] for r in responses}) == 1
        assert sum(r.headers.get("Idempotent-Replayed") != "true" for r in responses) == 1
        assert all(r.json() == responses[0].json() for r in responses)
    z_report = closes[0].json()["document"]
    assert z_report["shift_number"] == shift and z_report["shift_totals"] == shift_totals([body])
    assert opens[0].json()["shift_number"] == shift + 1
    documents = fn_documents(kkt_adapter)
    assert_gap_free(documents)
    assert [doc_type for _, doc_type, _ in documents] == [1, 2, 3, 5, 2], "one Z report and one opening, no more"


@pytest.mark.kkt_adapter(kkt_print_delay_min_ms=20, kkt_print_delay_max_ms=20)
def test_concurrent_closes_under_different_keys_close_once_and_refuse_the_rest(kkt_adapter: KktAdapter) -> None:
    kkt_adapter.post_receipt()
    responses = asyncio.run(_crowd(kkt_adapter, [("shift/close", f"z-{n}") for n in range(6)]))
    closed = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert len(closed) == 1, [r.text for r in responses]
    assert {(r.status_code, r.json()["error"], r.json()["device_code"]) for r in refused} == {
        (409, "shift_closed", 0x3D)}
    assert [doc_type for _, doc_type, _ in fn_documents(kkt_adapter)].count(5) == 1


@pytest.mark.kkt_adapter(kkt_print_delay_min_ms=50, kkt_print_delay_max_ms=50)
def test_concurrent_duplicate_corrections_and_cash_calls_make_one_each(kkt_adapter: KktAdapter) -> None:
    correction = {"pos_id": "POS-001", "items": [{"name": "Оправа", "quantity": 1, "price": "100.00", "tax_rate": 22}],
                  "total": "100.00", "payment_method": "cash", "correction_type": "self",
                  "basis": {"date": "2026-01-15"}}
    corrections = asyncio.run(_crowd(kkt_adapter, [("correction", "corr-crowd")] * 10, correction))
    cash = asyncio.run(_crowd(kkt_adapter, [("cash/in", "cash-crowd")] * 10, {"amount": "50.00"}))

    for responses in (corrections, cash):
        assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
        assert sum(r.headers.get("Idempotent-Replayed") != "true" for r in responses) == 1
        assert all(r.json() == responses[0].json() for r in responses)
    documents = fn_documents(kkt_adapter)
    assert_gap_free(documents)
    assert [doc_type for _, doc_type, _ in documents].count(31) == 1
    assert kkt_adapter.health()["kkt"]["cash_in_drawer"] == 10000 + 5000  # the correction's cash and one cash-in
