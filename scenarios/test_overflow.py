"""Overflow: at capacity new receipts get 503, nothing accepted is lost, acceptance resumes after delivery."""

from __future__ import annotations

import pytest

from pytest_opticserp import KktAdapter

# Receipts pile up because the OFD is unreachable (each test's ofd_offline), until a test ends the outage.
pytestmark = [pytest.mark.overflow, pytest.mark.kkt_adapter(buffer_max_size=5)]


@pytest.mark.ofd_offline
def test_a_full_buffer_refuses_with_503_and_keeps_its_counts(kkt_adapter: KktAdapter, post_receipts) -> None:
    post_receipts(5)
    before = kkt_adapter.status()
    refused = [kkt_adapter.post_receipt() for _ in range(3)]
    assert {r.status_code for r in refused} == {503}
    assert {r.json()["error"] for r in refused} == {"buffer_full"}
    assert kkt_adapter.status() == before
    assert before["percent_full"] == 100.0
    assert kkt_adapter.health()["status"] == "degraded"


@pytest.mark.ofd_offline
def test_acceptance_resumes_after_delivery_and_nothing_is_lost(kkt_adapter: KktAdapter, ofd_emulator,
                                                               opticserp_scenario, post_receipts) -> None:
    accepted = post_receipts(5)
    waiting_key = kkt_adapter.receipts.key()
    assert kkt_adapter.post_receipt(key=waiting_key).status_code == 503

    opticserp_scenario.restore()
    kkt_adapter.wait_until_synced(5)
    retried = kkt_adapter.post_receipt(key=waiting_key)

    assert retried.status_code == 200
    kkt_adapter.wait_until_synced(6)
    assert sorted(d.document["fiscal_doc_number"] for d in ofd_emulator.receipts()) == sorted(
        [a["fiscal"]["fiscal_doc_number"] for a in accepted] + [retried.json()["fiscal"]["fiscal_doc_number"]])
