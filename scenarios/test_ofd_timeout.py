"""Timeout: the OFD answers later than the adapter waits; the receipt stays pending and is never doubled."""

from __future__ import annotations

import pytest

from pytest_opticserp import KktAdapter, eventually

pytestmark = [pytest.mark.ofd_timeout, pytest.mark.kkt_adapter(ofd_timeout=0.5, circuit_breaker_threshold=100)]


@pytest.mark.ofd_slow
def test_a_delivery_that_times_out_leaves_the_receipt_pending(kkt_adapter: KktAdapter, post_receipts) -> None:
    post_receipts(1)
    eventually(lambda: kkt_adapter.status()["failed_count"] == 1, "a timed-out attempt", kkt_adapter.status)
    assert kkt_adapter.status()["pending_count"] == 1
    (error,) = kkt_adapter.query("SELECT last_error FROM receipts")[0]
    assert "did not answer within 0.5s" in error


@pytest.mark.ofd_slow
def test_the_late_answer_and_the_retry_leave_one_document_at_the_ofd(kkt_adapter: KktAdapter, ofd_emulator,
                                                                     opticserp_scenario, post_receipts) -> None:
    post_receipts(1)
    eventually(lambda: ofd_emulator.receipts_received == 1, "the slow OFD to store the first attempt",
               ofd_emulator.counters, timeout=5)
    opticserp_scenario.restore()
    kkt_adapter.wait_until_synced(1)
    assert ofd_emulator.receipts_received == 1
    assert ofd_emulator.counters.duplicates >= 1 and ofd_emulator.counters.conflicts == 0


@pytest.mark.ofd_slow  # twice the adapter's OFD timeout: a delivery hangs for as long as the adapter waits
@pytest.mark.kkt_adapter(ofd_timeout=5)
def test_a_slow_ofd_never_slows_the_receipt_endpoint(kkt_adapter: KktAdapter, ofd_emulator, post_receipts) -> None:
    post_receipts(1)
    eventually(lambda: ofd_emulator.counters.calls >= 1, "a delivery held by the slow OFD", ofd_emulator.counters)
    # An endpoint that waited on the OFD would answer after the adapter's OFD timeout at the soonest.
    waited_on_the_ofd = 0.9 * kkt_adapter.settings["ofd_timeout"]
    for _ in range(5):
        assert kkt_adapter.client.post("/v1/kkt/receipt", json=kkt_adapter.receipts(),
                                       headers={"X-Idempotency-Key": kkt_adapter.receipts.key()},
                                       timeout=waited_on_the_ofd).status_code == 200
    assert ofd_emulator.receipts_received == 0, "the deliveries were still held while the receipts were answered"
