"""Happy path: the guide's §3.6 request and §7.3 scenario 1, from the POS to the OFD."""

from __future__ import annotations

import json
import subprocess

import pytest

from pytest_opticserp import KktAdapter
from scenarios.conftest import assert_every_document_at_ofd

pytestmark = pytest.mark.happy_path

GUIDE_BODY = """{
    "pos_id": "POS-001",
    "items": [
      {
        "name": "Очки солнцезащитные Ray-Ban",
        "quantity": 1,
        "price": 5000.00,
        "tax_rate": 20
      }
    ],
    "total": 5000.00,
    "payment_method": "card"
  }"""


def curl(*args: str) -> dict:
    done = subprocess.run(["curl", "-s", *args], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout)


def test_the_guides_curl_request_ends_synced_as_the_guide_shows(kkt_adapter: KktAdapter) -> None:
    answer = curl("-X", "POST", f"{kkt_adapter.url}/v1/kkt/receipt", "-H", "Content-Type: application/json",
                  "-H", "X-Idempotency-Key: test-receipt-001", "-d", GUIDE_BODY)
    assert answer["status"] == "fiscalized"

    kkt_adapter.wait_until_synced(1)
    status = curl(f"{kkt_adapter.url}/v1/kkt/buffer/status")
    assert (status["pending_count"], status["synced_count"]) == (0, 1)
    health = curl(f"{kkt_adapter.url}/v1/health")
    assert (health["status"], health["circuit_breaker"]) == ("healthy", "CLOSED")


def test_the_ofd_receives_the_fiscal_data_the_pos_was_given(kkt_adapter: KktAdapter, ofd_emulator,
                                                            fiscal_receipt_factory) -> None:
    answer = kkt_adapter.post_receipt(fiscal_receipt_factory.sale(price="4990.00", tax_rate=22)).json()
    fiscal = answer["fiscal"]
    (received,) = ofd_emulator.wait_for(1)
    document = received.document
    assert {key: document[key] for key in ("fn_serial", "fiscal_doc_number", "fiscal_sign", "kkt_reg_number",
                                           "datetime", "operation", "total", "shift_number", "receipt_number")} == {
        key: fiscal[key] for key in ("fn_serial", "fiscal_doc_number", "fiscal_sign", "kkt_reg_number",
                                     "datetime", "operation", "total", "shift_number", "receipt_number")}
    assert document["total"] == 499000 and document["items"][0]["vat"] == 11
    assert received.ack["response_code"] == 0 and received.times_received == 1
    assert_every_document_at_ofd(ofd_emulator, kkt_adapter)


def test_a_refund_and_a_split_payment_reach_the_ofd(kkt_adapter: KktAdapter, ofd_emulator,
                                                    fiscal_receipt_factory) -> None:
    kkt_adapter.post_receipt(fiscal_receipt_factory.refund(price="300.00"))
    kkt_adapter.post_receipt(fiscal_receipt_factory.split(cash="1000.00", card="4000.00"))
    refund, split = sorted((r.document for r in ofd_emulator.wait_for(2)), key=lambda d: d["fiscal_doc_number"])
    assert refund["operation"] == 2
    assert split["payments"] == {"cash": 100000, "electronic": 400000}
    assert_every_document_at_ofd(ofd_emulator, kkt_adapter)


def test_made_to_order_glasses_an_advance_then_the_final_receipt_at_pickup(kkt_adapter: KktAdapter, ofd_emulator,
                                                                             fiscal_receipt_factory) -> None:
    """The optics shop's prepayment flow: 3000.00 down on 12000.00 glasses, the rest by card when they are ready."""
    cashier = ("Иванова И.И.", "500100732259")
    advance = kkt_adapter.post_receipt(fiscal_receipt_factory.advance("3000.00", price="12000.00", cashier=cashier))
    final = kkt_adapter.post_receipt(fiscal_receipt_factory.final_after_advance(
        "12000.00", advance="3000.00", buyer_contact="+79161234567", cashier=cashier))
    assert (advance.status_code, final.status_code) == (200, 200), final.text

    first, second = sorted(ofd_emulator.wait_for(2), key=lambda r: r.document["fiscal_doc_number"])
    assert [(r.ack["response_code"], r.times_received) for r in (first, second)] == [(0, 1), (0, 1)]
    assert first.document["items"][0]["payment_method_sign"] == 3
    assert first.document["payments"] == {"cash": 0, "electronic": 300000}
    assert second.document["items"][0]["payment_method_sign"] == 4
    assert second.document["payments"] == {"cash": 0, "electronic": 900000, "prepayment": 300000}
    assert second.document["total"] == 1200000 and second.document["buyer_contact"] == "+79161234567"
