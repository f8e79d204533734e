"""What survives a restart: buffered receipts, fiscal numbering, idempotency, half-done fiscalizations."""

from __future__ import annotations

import asyncio

from kkt_adapter.buffer import ReceiptBuffer
from kkt_adapter.components import build_driver
from kkt_adapter.receipt import ReceiptIn
from pytest_opticserp import InProcessKktAdapter, ReceiptFactory


def test_fiscal_numbers_continue_after_a_restart(kkt_adapter_app: InProcessKktAdapter) -> None:
    before = [kkt_adapter_app.post_receipt(key=f"a{i}").json()["fiscal"] for i in range(3)]

    second = kkt_adapter_app.restart()
    after = second.post_receipt(key="b0").json()["fiscal"]

    assert after["fiscal_doc_number"] == before[-1]["fiscal_doc_number"] + 1
    assert after["fn_serial"] == before[-1]["fn_serial"]
    assert after["receipt_number"] == 4
    assert second.accepted() == 4


def test_a_retry_after_a_restart_gets_the_original_answer(kkt_adapter_app: InProcessKktAdapter) -> None:
    original = kkt_adapter_app.post_receipt(key="across").json()

    second = kkt_adapter_app.restart()
    assert second.post_receipt(key="across").json() == original


def test_deleting_the_buffer_never_reuses_a_fiscal_number(kkt_adapter_app: InProcessKktAdapter) -> None:
    last = kkt_adapter_app.post_receipt(key="x").json()["fiscal"]["fiscal_doc_number"]
    kkt_adapter_app.stop()
    kkt_adapter_app.buffer_path.unlink()

    second = kkt_adapter_app.start()
    assert second.post_receipt(key="x").json()["fiscal"]["fiscal_doc_number"] == last + 1


def _crash_after_signing(settings, key: str, signed: bool) -> str:
    """Leave the state a kill between the register's signature and the buffer's commit leaves."""
    request = ReceiptIn.model_validate(ReceiptFactory.guide()).to_fiscal()

    async def run() -> str:
        buffer, driver = ReceiptBuffer(settings.buffer_db_path), build_driver(settings)
        await buffer.open()
        await driver.open()
        await buffer.reserve(receipt_id="crashed", key=key, request_hash=request.fingerprint(),
                             pos_id=request.pos_id, operation=request.operation, total=request.total,
                             payload=request.to_json(), capacity=10, hlc="0000000000000001-00000-test")
        fd = (await driver.fiscalize(request, "crashed")).fiscal_doc_number if signed else 0
        await driver.close()
        await buffer.close()
        return str(fd)

    return asyncio.run(run())


def test_a_receipt_signed_just_before_a_crash_is_recovered_not_signed_again(
    kkt_adapter_app: InProcessKktAdapter
) -> None:
    kkt_adapter_app.stop()
    fd = _crash_after_signing(kkt_adapter_app.config, key="half-done", signed=True)
    kkt_adapter_app.start()
    retry = kkt_adapter_app.post_receipt(key="half-done")

    assert retry.status_code == 200
    assert retry.json()["receipt_id"] == "crashed"
    assert str(retry.json()["fiscal"]["fiscal_doc_number"]) == fd
    assert kkt_adapter_app.accepted() == 1
    assert kkt_adapter_app.client.get("/v1/health").json()["kkt"]["receipts_total"] == 1


def test_a_receipt_not_yet_signed_at_a_crash_is_signed_when_the_pos_retries(
    kkt_adapter_app: InProcessKktAdapter
) -> None:
    kkt_adapter_app.stop()
    _crash_after_signing(kkt_adapter_app.config, key="never-signed", signed=False)
    kkt_adapter_app.start()
    assert kkt_adapter_app.status()["fiscalizing_count"] == 0
    retry = kkt_adapter_app.post_receipt(key="never-signed")

    assert retry.status_code == 200
    assert retry.headers.get("Idempotent-Replayed") is None
    assert kkt_adapter_app.client.get("/v1/health").json()["kkt"]["receipts_total"] == 1
