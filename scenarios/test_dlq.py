"""DLQ: receipts the OFD will not take end in the dead-letter queue with a reason; re-drive delivers them.

The FN's other documents (the shift a sale opens, the registration report) travel the same way, so they end
in the DLQ beside the receipts; `doc_type` tells them apart in `GET /v1/kkt/dlq`.
"""

from __future__ import annotations

import pytest

from pytest_opticserp import KktAdapter, eventually
from scenarios.conftest import assert_every_document_at_ofd

pytestmark = pytest.mark.dlq


@pytest.mark.kkt_adapter(ofd_max_attempts=3, circuit_breaker_threshold=100)
def test_a_permanently_failing_ofd_sends_receipts_to_the_dlq_after_the_last_attempt(
    kkt_adapter: KktAdapter, ofd_emulator, post_receipts
) -> None:
    ofd_emulator.fail_permanently()
    post_receipts(2)
    eventually(lambda: kkt_adapter.status()["dlq_count"] == 2, "two receipts in the DLQ", kkt_adapter.status)
    entries = kkt_adapter.dlq()
    assert [e["attempts"] for e in entries if e["doc_type"] == 3] == [3, 3]
    assert {e["doc_type"] for e in entries} <= {1, 2, 3} and 2 in {e["doc_type"] for e in entries}
    assert all("gave up after 3 attempts" in e["reason"] and "503" in e["reason"] for e in entries)
    assert len(kkt_adapter.query("SELECT * FROM dlq")) == 2


def test_an_invalid_document_goes_to_the_dlq_at_once_with_the_ofds_reason(kkt_adapter: KktAdapter, ofd_emulator,
                                                                          fiscal_receipt_factory, monkeypatch) -> None:
    # An OFD that does not take the 2026 rate's code yet (tag 1199 code 11, 22 %) rejects the 22 % sale.
    known = {code: n for code, n in ofd_emulator.state.vat_codes.items() if code != 11}
    monkeypatch.setattr(ofd_emulator.state, "vat_codes", known)
    kkt_adapter.post_receipt(fiscal_receipt_factory.sale(tax_rate=22))
    kkt_adapter.post_receipt(fiscal_receipt_factory.sale(tax_rate=10))
    eventually(lambda: kkt_adapter.status()["dlq_count"] == 1, "the invalid receipt in the DLQ", kkt_adapter.status)
    (entry,) = kkt_adapter.dlq()
    assert entry["attempts"] == 1 and "rejected" in entry["reason"]
    kkt_adapter.wait_until_synced(1)
    assert ofd_emulator.counters.rejected == 1


@pytest.mark.kkt_adapter(ofd_max_attempts=2, circuit_breaker_threshold=100)
def test_redriven_receipts_are_delivered_once_the_ofd_takes_them(kkt_adapter: KktAdapter, ofd_emulator,
                                                                  post_receipts) -> None:
    ofd_emulator.fail_permanently()
    answers = post_receipts(3)
    eventually(lambda: kkt_adapter.status()["dlq_count"] == 3, "three receipts in the DLQ", kkt_adapter.status)
    ofd_emulator.recover()

    entries = kkt_adapter.dlq()  # the receipts and the shift document (the registration's too, if it was first)
    assert kkt_adapter.client.post("/v1/kkt/dlq/redrive").json() == {"redriven": len(entries)} and len(entries) >= 4

    kkt_adapter.wait_until_synced(3)
    assert_every_document_at_ofd(ofd_emulator, kkt_adapter)
    assert sorted(d.document["fiscal_doc_number"] for d in ofd_emulator.receipts()) == sorted(
        a["fiscal"]["fiscal_doc_number"] for a in answers)
    assert kkt_adapter.dlq() == []


@pytest.mark.kkt_adapter(ofd_max_attempts=2, circuit_breaker_threshold=100)
def test_one_entry_redriven_by_its_id_is_delivered_once(kkt_adapter: KktAdapter, ofd_emulator, post_receipts) -> None:
    ofd_emulator.fail_permanently()
    post_receipts(1)
    eventually(lambda: kkt_adapter.status()["dlq_count"] == 1, "the receipt to reach the DLQ", kkt_adapter.status)
    (entry,) = [e for e in kkt_adapter.dlq() if e["doc_type"] == 3]
    assert entry["attempts"] == 2 and "gave up after 2 attempts" in entry["reason"]
    assert len(kkt_adapter.query("SELECT * FROM dlq")) == 1
    (shift,) = [e for e in kkt_adapter.dlq() if e["doc_type"] == 2]  # the shift the sale opened, before it
    assert shift["id"] != entry["id"] and "gave up after 2 attempts" in shift["reason"]
    ofd_emulator.recover()

    assert kkt_adapter.client.post(f"/v1/kkt/dlq/{entry['id']}/redrive").json() == {"redriven": 1}

    kkt_adapter.wait_until_synced(1)
    assert [e["doc_type"] for e in kkt_adapter.dlq()] in ([1, 2], [2])  # the others stay until redriven
    assert ofd_emulator.receipts_received == 1
    assert kkt_adapter.client.post(f"/v1/kkt/dlq/{shift['id']}/redrive").json() == {"redriven": 1}
    eventually(lambda: kkt_adapter.status()["documents_dlq"] + kkt_adapter.status()["documents_pending"] <= 1,
               "the shift document delivered", kkt_adapter.status)


def test_a_rejected_document_leaves_the_breaker_closed_and_once_resolved_cannot_be_redriven(
    kkt_adapter: KktAdapter, ofd_emulator, monkeypatch
) -> None:
    # This OFD does not take tag 1199 code 1 (20 %), the seed's sale.
    monkeypatch.setattr(ofd_emulator.state, "vat_codes",
                        {code: rate for code, rate in ofd_emulator.state.vat_codes.items() if code != 1})
    kkt_adapter.post_receipt()
    eventually(lambda: kkt_adapter.status()["dlq_count"] == 1, "the rejected receipt in the DLQ", kkt_adapter.status)
    (entry,) = kkt_adapter.dlq()
    assert kkt_adapter.health()["circuit_breaker"] == "CLOSED"  # a rejection is an answer, not an outage

    resolved = kkt_adapter.client.post(f"/v1/kkt/dlq/{entry['id']}/resolve", json={"note": "refunded by hand"})

    assert resolved.status_code == 200
    assert kkt_adapter.client.get("/v1/kkt/dlq").json()["count"] == 0
    assert kkt_adapter.client.get("/v1/kkt/dlq", params={"include_resolved": True}).json()["count"] == 1
    assert kkt_adapter.client.post(f"/v1/kkt/dlq/{entry['id']}/redrive").status_code == 404
