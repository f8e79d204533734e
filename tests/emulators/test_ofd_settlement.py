"""The OFD checks a receipt's settlement (tags 1214-1217) with the adapter's own rules (`fiscal.settlement`), and
takes the buyer's contact, the cashier and marking codes as the adapter sends them."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from emulators.ofd import ResponseCode
from fiscal.fn import FiscalDrive, FnConfig, FnItem, FnReceipt

GLASSES = {"name": "Очки на заказ", "price": 1200000, "quantity": "1.000", "sum": 1200000, "vat": 11,
           "subject_sign": 1, "payment_method_sign": 4, "unit": 0}
MARKING_CODE = "010460043993125621JgXJ5.T\x1d8005112000"


def stored(client: httpx.Client, document: dict[str, Any]) -> dict[str, Any]:
    found = client.get("/ofd/v1/admin/receipts", params={"fn_serial": document["fn_serial"],
                                                         "fiscal_doc_number": document["fiscal_doc_number"]}).json()
    (receipt,) = found["receipts"]
    return receipt["document"]


def final_receipt(make_receipt, **payments: int) -> dict[str, Any]:
    return make_receipt(items=[dict(GLASSES)], total=1200000, payments=payments)


def test_the_final_receipt_with_the_advance_counted_is_accepted(ofd_client: httpx.Client, make_receipt) -> None:
    document = final_receipt(make_receipt, cash=0, electronic=900000, prepayment=300000)
    document.update(buyer_contact="buyer@example.ru", cashier="Иванова И.И.", cashier_inn="500100732259")
    response = ofd_client.post("/ofd/v1/receipts", json=document)
    assert response.status_code == 200, response.text
    assert stored(ofd_client, document)["payments"]["prepayment"] == 300000


def test_a_receipt_whose_advance_does_not_add_up_is_rejected(ofd_client: httpx.Client, make_receipt) -> None:
    document = final_receipt(make_receipt, cash=0, electronic=900000, prepayment=299999)
    body = ofd_client.post("/ofd/v1/receipts", json=document).json()
    assert (body["status"], body["response_code"], body["field"]) == ("rejected", ResponseCode.ARITHMETIC, "payments")
    assert "prepayment 299999" in body["message"]


def test_an_advance_receipt_counting_an_advance_is_rejected(ofd_client: httpx.Client, make_receipt) -> None:
    document = final_receipt(make_receipt, cash=0, electronic=900000, prepayment=300000)
    document["items"][0]["payment_method_sign"] = 3
    body = ofd_client.post("/ofd/v1/receipts", json=document).json()
    assert (body["response_code"], body["field"]) == (ResponseCode.ARITHMETIC, "payments.prepayment")


def test_goods_on_credit_without_credit_are_rejected(ofd_client: httpx.Client, make_receipt) -> None:
    document = final_receipt(make_receipt, cash=1200000, electronic=0)
    document["items"][0]["payment_method_sign"] = 6
    body = ofd_client.post("/ofd/v1/receipts", json=document).json()
    assert (body["response_code"], body["field"]) == (ResponseCode.ARITHMETIC, "payments.credit")


@pytest.mark.parametrize(("field", "value"), [("buyer_contact", "89161234567"), ("cashier_inn", "500100732250")])
def test_a_bad_requisite_is_rejected(ofd_client: httpx.Client, make_receipt, field: str, value: str) -> None:
    body = ofd_client.post("/ofd/v1/receipts", json=make_receipt(**{field: value})).json()
    assert (body["status"], body["field"]) == ("rejected", field)


def test_a_marking_code_travels_unchanged_on_marked_goods(ofd_client: httpx.Client, make_receipt) -> None:
    document = make_receipt()
    document["items"][0].update(marking_code=MARKING_CODE, subject_sign=33)
    assert ofd_client.post("/ofd/v1/receipts", json=document).status_code == 200
    assert stored(ofd_client, document)["items"][0]["marking_code"] == MARKING_CODE


def test_a_marking_code_on_goods_not_signed_marked_is_rejected(ofd_client: httpx.Client, make_receipt) -> None:
    document = make_receipt()
    document["items"][0]["marking_code"] = MARKING_CODE
    body = ofd_client.post("/ofd/v1/receipts", json=document).json()
    assert (body["status"], body["field"]) == ("rejected", "items[0].subject_sign")


def test_a_service_is_accepted_and_marked_goods_without_their_code_are_rejected(ofd_client: httpx.Client,
                                                                               make_receipt) -> None:
    service = final_receipt(make_receipt, cash=1200000, electronic=0)
    service["items"][0]["subject_sign"] = 4
    assert ofd_client.post("/ofd/v1/receipts", json=service).status_code == 200
    uncoded = final_receipt(make_receipt, cash=1200000, electronic=0)
    uncoded["items"][0]["subject_sign"] = 33
    body = ofd_client.post("/ofd/v1/receipts", json=uncoded).json()
    assert (body["status"], body["field"]) == ("rejected", "items[0].subject_sign")
    assert "marking_code" in body["message"]


@pytest.fixture
def z_report_after_an_advance_and_its_pickup() -> dict[str, Any]:
    """The fiscal drive's own Z report of a shift with an advance (3) and the final receipt counting it (1215)."""
    moments = iter(datetime(2026, 11, 21, 10, 0, tzinfo=ZoneInfo("Europe/Moscow")) + timedelta(minutes=n)
                   for n in range(10))
    drive = FiscalDrive(FnConfig(fn_serial="9999078900054322", kkt_reg_number="0000000001012345"), b"key",
                        lambda: next(moments))
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(FiscalDrive.SCHEMA)
    drive.register(conn)
    drive.sell(conn, FnReceipt(1, (FnItem("Аванс", 300000, "1.000", 300000, "22", payment_method_sign=3),), 300000,
                               electronic=300000), "advance")
    drive.sell(conn, FnReceipt(1, (FnItem("Очки", 1200000, "1.000", 1200000, "22"),), 1200000, cash=900000,
                               prepayment=300000), "pickup")
    return drive.close_shift(conn).tags


def test_a_z_report_counting_advances_is_accepted(ofd_client: httpx.Client,
                                                  z_report_after_an_advance_and_its_pickup) -> None:
    report = z_report_after_an_advance_and_its_pickup
    assert report["shift_totals"]["sale"]["prepayment"] == 300000
    assert ofd_client.post("/ofd/v1/receipts", json=report).status_code == 200


def test_a_z_report_whose_advances_do_not_add_up_is_rejected(ofd_client: httpx.Client,
                                                             z_report_after_an_advance_and_its_pickup) -> None:
    report = z_report_after_an_advance_and_its_pickup
    report["shift_totals"]["sale"]["prepayment"] -= 1
    body = ofd_client.post("/ofd/v1/receipts", json=report).json()
    assert (body["response_code"], body["field"]) == (ResponseCode.ARITHMETIC, "shift_totals.sale")
