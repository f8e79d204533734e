"""Buyer contact, cashier, payment method signs with advances, and marking codes through the adapter over real
HTTP: accepted, checked, signed, stored in the OFD document and received by the OFD emulator."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from emulators.ofd import OfdEmulator
from pytest_opticserp import InProcessKktAdapter, ReceiptFactory

MARKING_CODE = "010460043993125621JgXJ5.T\x1d8005112000\x1d"
CASHIER = ("Иванова И.И., продавец", "500100732259")


def stored_document(adapter: InProcessKktAdapter, receipt_id: str) -> dict[str, Any]:
    (row,) = adapter.query("SELECT document FROM receipts WHERE id = ?", receipt_id)
    return json.loads(row[0])


def test_the_seed_receipt_is_a_full_payment_of_plain_goods(kkt_adapter_app: InProcessKktAdapter) -> None:
    answer = kkt_adapter_app.post_receipt(ReceiptFactory.guide()).json()
    document = stored_document(kkt_adapter_app, answer["receipt_id"])
    assert (document["items"][0]["payment_method_sign"], document["items"][0]["subject_sign"]) == (4, 1)
    assert document["payments"] == {"cash": 0, "electronic": 500000}
    assert not {"cashier", "buyer_contact"} & set(document)


def test_a_receipt_reaches_the_ofd_with_each_items_vat_and_the_vat_per_rate_as_the_fn_signed_it(
        kkt_adapter_app: InProcessKktAdapter, ofd_emulator: OfdEmulator) -> None:
    answer = kkt_adapter_app.post_receipt(kkt_adapter_app.receipts.with_rates("22", "22", "10", "none",
                                                                              price="99.99")).json()
    (at_ofd,) = [r.document for r in ofd_emulator.wait_for(1)]
    assert [item["vat_sum"] for item in at_ofd["items"]] == [1803, 1803, 909, 0]  # 99.99 x 22/122, 10/110, none
    assert at_ofd["vat_sums"] == {"22": 3606, "10": 909, "none": 0}
    with sqlite3.connect(f"file:{kkt_adapter_app.config.fn_state_path}?mode=ro", uri=True) as fn:
        (payload,) = fn.execute("SELECT payload FROM documents WHERE fd = ?",
                                (answer["fiscal"]["fiscal_doc_number"],)).fetchone()
    signed = json.loads(payload)
    assert signed["vat_sums"] == at_ofd["vat_sums"]
    assert [item["vat_sum"] for item in signed["items"]] == [item["vat_sum"] for item in at_ofd["items"]]


def test_an_eye_test_is_sold_as_a_service_and_reaches_the_ofd_so(kkt_adapter_app: InProcessKktAdapter,
                                                                  ofd_emulator: OfdEmulator) -> None:
    service = {**kkt_adapter_app.receipts.item("1500.00", name="Проверка зрения"), "subject_sign": 4}
    assert kkt_adapter_app.post_receipt(kkt_adapter_app.receipts([service])).status_code == 200
    (at_ofd,) = [r.document for r in ofd_emulator.wait_for(1)]
    assert at_ofd["items"][0]["subject_sign"] == 4


@pytest.mark.parametrize(("item", "problem"), [
    ({"subject_sign": 33}, "give the item's marking_code"),
    ({"subject_sign": 4, "marking_code": MARKING_CODE}, "marked goods with its code"),
    ({"subject_sign": 28}, "not a subject of settlement"),
    ({"marking_code": MARKING_CODE, "quantity": 2}, "one unit"),
])
def test_a_subject_sign_that_does_not_fit_the_item_is_refused_naming_it(
        kkt_adapter_app: InProcessKktAdapter, item: dict, problem: str) -> None:
    body = kkt_adapter_app.receipts([{**kkt_adapter_app.receipts.item(), **item}])
    response = kkt_adapter_app.post_receipt(body)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] in ("items[0].subject_sign", "items[0].quantity") and problem in error["problem"]
    assert kkt_adapter_app.accepted() == 0


def test_an_advance_then_the_final_receipt_reach_the_ofd_with_their_signs(
    kkt_adapter_app: InProcessKktAdapter, ofd_emulator: OfdEmulator
) -> None:
    receipts = kkt_adapter_app.receipts
    advance = kkt_adapter_app.post_receipt(receipts.advance("3000.00", price="12000.00"))
    final = kkt_adapter_app.post_receipt(receipts.final_after_advance(
        "12000.00", advance="3000.00", payment_method="cash", buyer_contact="buyer@example.ru", cashier=CASHIER))
    assert (advance.status_code, final.status_code) == (200, 200), final.text

    at_ofd = sorted((r.document for r in ofd_emulator.wait_for(2)), key=lambda d: d["fiscal_doc_number"])
    stored = [stored_document(kkt_adapter_app, a.json()["receipt_id"]) for a in (advance, final)]
    assert at_ofd == stored
    first, second = at_ofd
    assert (first["items"][0]["payment_method_sign"], first["payments"]) == (3, {"cash": 0, "electronic": 300000})
    assert (second["items"][0]["payment_method_sign"], second["payments"]) == (
        4, {"cash": 900000, "electronic": 0, "prepayment": 300000})
    assert (second["buyer_contact"], second["cashier"], second["cashier_inn"]) == ("buyer@example.ru", *CASHIER)


def test_a_marking_code_reaches_the_ofd_exactly_as_scanned(kkt_adapter_app: InProcessKktAdapter,
                                                           ofd_emulator: OfdEmulator) -> None:
    body = kkt_adapter_app.receipts.marked(MARKING_CODE, buyer_contact="+79161234567")
    body["items"][0]["product_code"] = "0104600439931256"
    assert kkt_adapter_app.post_receipt(body).status_code == 200
    (received,) = ofd_emulator.wait_for(1)
    item = received.document["items"][0]
    assert (item["marking_code"], item["product_code"], item["subject_sign"]) == (MARKING_CODE, "0104600439931256",
                                                                                 33)
    assert received.document["buyer_contact"] == "+79161234567"


def test_credit_and_other_consideration_are_sent_as_their_own_payment_forms(
    kkt_adapter_app: InProcessKktAdapter, ofd_emulator: OfdEmulator
) -> None:
    receipts = kkt_adapter_app.receipts
    body = receipts([{**receipts.item("10000.00"), "payment_method_sign": 5}], payments=[
        {"method": "card", "amount": "2000.00"}], credit="7000.00", other_consideration="1000.00")
    assert kkt_adapter_app.post_receipt(body).status_code == 200, body
    (received,) = ofd_emulator.wait_for(1)
    assert received.document["payments"] == {"cash": 0, "electronic": 200000, "credit": 700000, "other": 100000}


REFUSALS = {
    "an advance counted on an advance": (
        {**ReceiptFactory().advance("3000.00"), "prepayment": "1000.00"}, "prepayment"),
    "an advance over the price": (ReceiptFactory().final_after_advance("12000.00", advance="13000.00"),
                                  "prepayment"),
    "payments short with the advance": (ReceiptFactory().final_after_advance(
        "12000.00", advance="3000.00", payments=[{"method": "card", "amount": "8000.00"}]), "payments"),
    "a payment method sign of 0": (ReceiptFactory()([{**ReceiptFactory().item(), "payment_method_sign": 0}]),
                                   "items[0].payment_method_sign"),
    "a buyer phone without +7": (ReceiptFactory().sale(buyer_contact="9161234567"), "buyer_contact"),
    "a cashier INN failing its control digits": (ReceiptFactory().sale(cashier=("Иванова", "500100732258")),
                                                 "cashier.inn"),
    "an empty marking code": (ReceiptFactory().marked(""), "items[0].marking_code"),
}


@pytest.mark.parametrize("body, field", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_receipt_that_does_not_settle_or_has_a_bad_requisite_is_a_422_naming_the_field(
    kkt_adapter_app: InProcessKktAdapter, body: dict[str, Any], field: str
) -> None:
    response = kkt_adapter_app.post_receipt(body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert kkt_adapter_app.accepted() == 0


def test_a_retry_of_the_final_receipt_replays_and_a_changed_contact_is_a_conflict(
    kkt_adapter_app: InProcessKktAdapter,
) -> None:
    body = kkt_adapter_app.receipts.final_after_advance("12000.00", advance="3000.00",
                                                         buyer_contact="+79161234567", cashier=CASHIER)
    first = kkt_adapter_app.post_receipt(body, key="pickup-1")
    again = kkt_adapter_app.post_receipt(body, key="pickup-1")
    assert (again.json(), again.headers["Idempotent-Replayed"]) == (first.json(), "true")
    changed = kkt_adapter_app.post_receipt({**body, "buyer_contact": "+79161234568"}, key="pickup-1")
    assert (changed.status_code, changed.json()["error"]) == (409, "idempotency_conflict")
    assert kkt_adapter_app.accepted() == 1


def test_openapi_describes_the_new_fields(kkt_adapter_app: InProcessKktAdapter) -> None:
    schemas = kkt_adapter_app.client.get("/openapi.json").json()["components"]["schemas"]
    assert {"prepayment", "credit", "other_consideration", "buyer_contact", "cashier"} <= set(
        schemas["ReceiptIn"]["properties"])
    assert {"payment_method_sign", "marking_code", "product_code"} <= set(schemas["Item"]["properties"])
    assert (schemas["Item"]["properties"]["payment_method_sign"]["minimum"],
            schemas["Item"]["properties"]["payment_method_sign"]["maximum"]) == (1, 7)
