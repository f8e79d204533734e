"""Idempotency under load: duplicates, concurrent or retried, make one receipt and one OFD document."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from pytest_opticserp import KktAdapter

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
    assert ofd_emulator.receipts_received == 1 and ofd_emulator.counters.calls == 1


def test_reusing_a_key_for_another_receipt_is_refused_under_load(kkt_adapter: KktAdapter,
                                                                 fiscal_receipt_factory) -> None:
    kkt_adapter.post_receipt(fiscal_receipt_factory.sale(price="10.00"), key="reused")
    conflicts = [kkt_adapter.post_receipt(fiscal_receipt_factory.sale(price=f"{11 + n}.00"), key="reused")
                 for n in range(10)]
    assert {r.status_code for r in conflicts} == {409}
    status = kkt_adapter.status()  # one read: a receipt moving to synced between two reads would count twice
    assert status["pending_count"] + status["synced_count"] == 1
