"""One idempotency key, one receipt: retries, conflicts and a crowd of concurrent duplicates."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from pytest_opticserp import InProcessKktAdapter, ReceiptFactory


def test_a_retry_with_the_same_key_returns_the_original_answer(kkt_adapter_app: InProcessKktAdapter) -> None:
    first = kkt_adapter_app.post_receipt(key="retry-1")
    again = kkt_adapter_app.post_receipt(key="retry-1")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert kkt_adapter_app.accepted() == 1


def test_the_same_amounts_written_differently_are_the_same_request(kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt_adapter_app.post_receipt(ReceiptFactory.guide(total=5000), key="same")
    again = kkt_adapter_app.post_receipt(ReceiptFactory.guide(total="5000.00"), key="same")
    assert again.status_code == 200
    assert kkt_adapter_app.accepted() == 1


def test_the_same_key_with_a_different_body_is_a_conflict(kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt_adapter_app.post_receipt(key="conflict")
    other = ReceiptFactory.guide(pos_id="POS-002")
    response = kkt_adapter_app.post_receipt(other, key="conflict")
    assert response.status_code == 409
    error = response.json()
    assert error["error"] == "idempotency_conflict"
    assert error["errors"][0]["field"] == "X-Idempotency-Key"
    assert "different receipt" in error["message"]
    assert kkt_adapter_app.accepted() == 1


def test_the_plain_idempotency_key_header_is_accepted(kkt_adapter_app: InProcessKktAdapter) -> None:
    first = kkt_adapter_app.client.post("/v1/kkt/receipt", json=ReceiptFactory.guide(),
                                        headers={"Idempotency-Key": "plain"})
    assert first.status_code == 200
    again = kkt_adapter_app.post_receipt(key="plain")
    assert again.json()["receipt_id"] == first.json()["receipt_id"]


def test_a_missing_key_is_refused_with_a_clear_message(kkt_adapter_app: InProcessKktAdapter) -> None:
    response = kkt_adapter_app.client.post("/v1/kkt/receipt", json=kkt_adapter_app.receipts())
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "X-Idempotency-Key", "problem": response.json()["message"]}
    ]
    assert kkt_adapter_app.accepted() == 0


def test_a_key_with_spaces_is_refused(kkt_adapter_app: InProcessKktAdapter) -> None:
    response = kkt_adapter_app.post_receipt(key="has space")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_idempotency_key"


@pytest.mark.kkt_adapter(kkt_print_delay_min_ms=50, kkt_print_delay_max_ms=50)
def test_fifty_concurrent_duplicates_create_exactly_one_receipt(kkt_adapter_app) -> None:
    async def crowd() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=kkt_adapter_app.url, timeout=60,
                                     limits=httpx.Limits(max_connections=50)) as client:
            return await asyncio.gather(*(
                client.post("/v1/kkt/receipt", json=ReceiptFactory.guide(), headers={"X-Idempotency-Key": "crowd"})
                for _ in range(50)
            ))

    responses = asyncio.run(crowd())
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["receipt_id"] for r in responses}) == 1
    assert len({r.json()["fiscal"]["fiscal_doc_number"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") != "true" for r in responses) == 1
    assert kkt_adapter_app.accepted() == 1
    kkt = kkt_adapter_app.client.get("/v1/health").json()["kkt"]
    assert kkt["receipts_total"] == 1


@pytest.mark.kkt_adapter(kkt_print_delay_min_ms=100, kkt_print_delay_max_ms=100)
def test_two_adapters_sharing_a_buffer_sign_one_receipt_per_key(kkt_adapter_app: InProcessKktAdapter) -> None:
    one = kkt_adapter_app
    two = InProcessKktAdapter(one.workdir, one.settings).start()  # a second app on the same buffer

    async def both() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(*(
                client.post(f"{adapter.url}/v1/kkt/receipt", json=ReceiptFactory.guide(),
                            headers={"X-Idempotency-Key": "shared"})
                for adapter in (one, two) for _ in range(5)
            ))

    try:
        responses = asyncio.run(both())
    finally:
        two.stop()
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {200, 409}, [r.text for r in responses]
    signed = {r.json()["receipt_id"] for r in responses if r.status_code == 200}
    assert len(signed) == 1
    assert all(r.json()["error"] == "still_fiscalizing" for r in responses if r.status_code == 409)
    assert one.accepted() == 1
