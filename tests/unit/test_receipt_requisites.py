"""The receipt model's new fields (buyer contact, cashier, payment method signs, advances, marking codes): what
the POS may send, what it is refused, and what the register signs and the OFD document carries."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from fiscal.fn import FiscalDrive, FnConfig
from kkt_adapter.drivers.mock import fn_receipt
from kkt_adapter.receipt import FiscalRequest, ReceiptIn
from pytest_opticserp.receipts import ReceiptFactory

MARKING_CODE = "010460043993125621JgXJ5.T\x1d8005112000\x1d"
CASHIER_INN = "500100732259"
receipts = ReceiptFactory()


def refused_field(body: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as refused:
        ReceiptIn.model_validate(body)
    (error,) = refused.value.errors()
    cause = (error.get("ctx") or {}).get("error")
    return getattr(cause, "field", None) or ".".join(map(str, error["loc"]))


def test_the_seed_receipt_is_stored_exactly_as_before_the_new_fields() -> None:
    request = ReceiptIn.model_validate(ReceiptFactory.guide()).to_fiscal()
    assert request.to_json() == (
        '{"cash":0,"electronic":500000,"items":[{"name":"Очки солнцезащитные Ray-Ban","price":500000,'
        '"quantity":"1.000","sum":500000,"vat_rate":"20"}],"operation":"sale","pos_id":"POS-001","total":500000}')


def test_an_advance_is_signed_3_and_paid_in_full() -> None:
    request = ReceiptIn.model_validate(receipts.advance("3000.00", price="12000.00")).to_fiscal()
    assert [i.payment_method_sign for i in request.items] == [3]
    assert (request.total, request.electronic, request.prepayment) == (300000, 300000, 0)


def test_the_final_receipt_counts_the_advance_and_the_method_pays_the_rest() -> None:
    body = receipts.final_after_advance("12000.00", advance="3000.00", payment_method="cash")
    request = ReceiptIn.model_validate(body).to_fiscal()
    assert (request.total, request.cash, request.electronic, request.prepayment) == (1200000, 900000, 0, 300000)


def test_a_pickup_fully_paid_in_advance_needs_no_payment_method() -> None:
    body = receipts.final_after_advance("12000.00", advance="12000.00")
    del body["payment_method"]
    request = ReceiptIn.model_validate(body).to_fiscal()
    assert (request.cash, request.electronic, request.prepayment) == (0, 0, 1200000)


def test_split_payments_with_an_advance_add_up_to_the_total() -> None:
    body = receipts.final_after_advance("12000.00", advance="3000.00",
                                        payments=[{"method": "cash", "amount": "4000.00"},
                                                  {"method": "card", "amount": "5000.00"}])
    request = ReceiptIn.model_validate(body).to_fiscal()
    assert (request.cash, request.electronic, request.prepayment) == (400000, 500000, 300000)


REFUSALS = {
    "advance counted on an advance receipt": ({**receipts.advance("3000.00"), "prepayment": "1000.00"}, "prepayment"),
    "advance over the goods": (receipts.final_after_advance("12000.00", advance="12000.01"), "prepayment"),
    "payments short of the total with the advance": (
        receipts.final_after_advance("12000.00", advance="3000.00", payments=[{"method": "cash", "amount": "8999.99"}]),
        "payments"),
    "no payment left uncovered": (
        {k: v for k, v in receipts.final_after_advance("12000.00", advance="3000.00").items()
         if k != "payment_method"}, "payment_method"),
    "credit transfer without credit": (receipts([{**receipts.item(), "payment_method_sign": 6}]), "credit"),
    "partial payment and credit without credit": (receipts([{**receipts.item(), "payment_method_sign": 5}]),
                                                  "items[0].payment_method_sign"),
    "credit on a full payment": (receipts.sale(payments=[{"method": "cash", "amount": "4000.00"}],
                                               credit="1000.00"), "credit"),
    "sign 8": (receipts([{**receipts.item(), "payment_method_sign": 8}]), "items.0.payment_method_sign"),
    "sign as text": (receipts([{**receipts.item(), "payment_method_sign": "4"}]), "items.0.payment_method_sign"),
    "phone without +7": (receipts.sale(buyer_contact="89161234567"), "buyer_contact"),
    "e-mail without a domain": (receipts.sale(buyer_contact="buyer@example"), "buyer_contact"),
    "cashier INN with a wrong control digit": (receipts.sale(cashier=("Иванова", "500100732250")), "cashier.inn"),
    "cashier INN of an organisation": (receipts.sale(cashier=("Иванова", "7700000009")), "cashier.inn"),
    "cashier without a name": (receipts.sale(cashier={"inn": CASHIER_INN}), "cashier.name"),
    "product code not hex": (receipts([{**receipts.item(), "product_code": "XYZ"}]), "items.0.product_code"),
    "negative advance": (receipts.sale(prepayment="-1.00"), "prepayment"),
    "other consideration over the total": (receipts.sale(other_consideration="6000.00"), "other_consideration"),
    "advance and credit together over the price": (
        receipts([{**receipts.item("10000.00"), "payment_method_sign": 5}], prepayment="6000.00", credit="6000.00"),
        "credit"),
}


@pytest.mark.parametrize("body, field", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_receipt_that_does_not_settle_is_refused_naming_the_field(body: dict[str, Any], field: str) -> None:
    assert refused_field(body) == field


def test_requisites_and_marking_codes_survive_the_buffer_unchanged() -> None:
    body = receipts.marked(MARKING_CODE, buyer_contact="buyer@example.ru", cashier=("Иванова И.И.", CASHIER_INN))
    body["items"][0]["product_code"] = "0104600439931256"
    request = ReceiptIn.model_validate(body).to_fiscal()
    (item,) = request.items
    assert (item.marking_code, item.product_code, item.subject_sign) == (MARKING_CODE, "0104600439931256", 33)
    assert request.cashier is not None and (request.cashier.name, request.cashier.inn) == ("Иванова И.И.", CASHIER_INN)
    assert FiscalRequest.from_json(request.to_json()) == request


def test_the_fingerprint_changes_with_each_new_field() -> None:
    base = receipts.sale()
    prints = {ReceiptIn.model_validate(body).to_fiscal().fingerprint() for body in (
        base, {**base, "buyer_contact": "+79161234567"}, {**base, "cashier": {"name": "Иванова"}},
        {**base, "cashier": {"name": "Иванова", "inn": CASHIER_INN}},
        {**base, "items": [{**base["items"][0], "payment_method_sign": 1}]},
        {**base, "items": [{**base["items"][0], "marking_code": MARKING_CODE}]},
    )}
    assert len(prints) == 6


def test_the_register_signs_the_new_fields_and_its_z_report_counts_the_advance(tmp_path) -> None:
    conn = sqlite3.connect(tmp_path / "fn.db", isolation_level=None)
    conn.executescript(FiscalDrive.SCHEMA)
    drive = FiscalDrive(FnConfig(fn_serial="9999078900012345", kkt_reg_number="0000000001012345"), b"key",
                        lambda: datetime(2026, 11, 21, 10, 0, tzinfo=ZoneInfo("Europe/Moscow")))
    drive.register(conn)
    final = receipts.final_after_advance("12000.00", advance="3000.00", buyer_contact="+79161234567",
                                         cashier=("Иванова И.И.", CASHIER_INN))
    for n, body in enumerate([receipts.advance("3000.00"), final, receipts.marked(MARKING_CODE)]):
        document = drive.sell(conn, fn_receipt(ReceiptIn.model_validate(body).to_fiscal()), f"r{n}")
    signed = drive.find(conn, "r1").tags
    assert signed["payments"] == {"cash": 0, "electronic": 900000, "prepayment": 300000}
    assert (signed["buyer_contact"], signed["cashier"], signed["cashier_inn"]) == ("+79161234567", "Иванова И.И.",
                                                                                  CASHIER_INN)
    assert signed["items"][0]["payment_method_sign"] == 4
    assert drive.find(conn, "r0").tags["items"][0]["payment_method_sign"] == 3
    assert document.tags["items"][0]["marking_code"] == MARKING_CODE and document.tags["items"][0]["subject_sign"] == 33
    sales = drive.close_shift(conn).tags["shift_totals"]["sale"]
    assert (sales["total"], sales["electronic"], sales["prepayment"]) == (300000 + 1200000 + 500000,
                                                                          300000 + 900000 + 500000, 300000)
