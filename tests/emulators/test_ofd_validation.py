"""Each rule the OFD emulator checks: a broken one gets a rejection naming the field and a non-zero code."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from emulators.ofd import OfdEmulator, ResponseCode
from pytest_opticserp import http_client

REQUIRED = [
    "fn_serial", "fiscal_doc_number", "fiscal_sign", "kkt_reg_number", "datetime",
    "operation", "total", "items", "payments",
]  # fmt: skip


def post(client: httpx.Client, document: Any) -> httpx.Response:
    return client.post("/ofd/v1/receipts", json=document)


@pytest.mark.parametrize("field", REQUIRED)
def test_a_missing_required_field_is_rejected_as_malformed(ofd_client: httpx.Client, make_receipt, field) -> None:
    document = make_receipt()
    del document[field]

    response = post(ofd_client, document)

    assert response.status_code == 422
    body = response.json()
    assert body["status"] == "rejected"
    assert body["response_code"] == ResponseCode.MALFORMED
    assert body["field"] == field


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"fn_serial": "999907890001234"}, "fn_serial", ResponseCode.INVALID_VALUE),
        ({"fn_serial": 9999078900012345}, "fn_serial", ResponseCode.MALFORMED),
        ({"fiscal_doc_number": 0}, "fiscal_doc_number", ResponseCode.INVALID_VALUE),
        ({"fiscal_doc_number": "42"}, "fiscal_doc_number", ResponseCode.MALFORMED),
        ({"fiscal_sign": "29182419051"}, "fiscal_sign", ResponseCode.INVALID_VALUE),
        ({"fiscal_sign": "29a8"}, "fiscal_sign", ResponseCode.INVALID_VALUE),
        ({"kkt_reg_number": "0" * 21}, "kkt_reg_number", ResponseCode.INVALID_VALUE),
        ({"datetime": "2026-11-21T10:15:00"}, "datetime", ResponseCode.INVALID_VALUE),
        ({"datetime": "yesterday"}, "datetime", ResponseCode.INVALID_VALUE),
        ({"total": 5000.0}, "total", ResponseCode.MALFORMED),
        ({"total": "500000"}, "total", ResponseCode.MALFORMED),
        ({"total": True}, "total", ResponseCode.MALFORMED),
        ({"total": -1}, "total", ResponseCode.INVALID_VALUE),
        ({"items": []}, "items", ResponseCode.INVALID_VALUE),
        ({"operation": 5}, "operation", ResponseCode.UNKNOWN_CODE),
        ({"taxation_system": 3}, "taxation_system", ResponseCode.UNKNOWN_CODE),
        ({"ffd_version": 3}, "ffd_version", ResponseCode.UNKNOWN_CODE),
        ({"shift_number": 0}, "shift_number", ResponseCode.INVALID_VALUE),
        ({"payments": {"cash": 0}}, "payments.electronic", ResponseCode.MALFORMED),
    ],
)
def test_a_bad_document_field_is_rejected_naming_it(
    ofd_client: httpx.Client, make_receipt, overrides, field, code
) -> None:
    response = post(ofd_client, make_receipt(**overrides))

    assert response.status_code == 422, response.text
    assert (response.json()["field"], response.json()["response_code"]) == (field, code)


@pytest.mark.parametrize(
    ("item_changes", "field", "code"),
    [
        ({"name": ""}, "items[0].name", ResponseCode.INVALID_VALUE),
        ({"name": "x" * 129}, "items[0].name", ResponseCode.INVALID_VALUE),
        ({"price": 5000.5}, "items[0].price", ResponseCode.MALFORMED),
        ({"quantity": 1}, "items[0].quantity", ResponseCode.MALFORMED),
        ({"quantity": "1.0001"}, "items[0].quantity", ResponseCode.INVALID_VALUE),
        ({"quantity": "0.000", "sum": 0}, "items[0].quantity", ResponseCode.INVALID_VALUE),
        ({"sum": 499999}, "items[0].sum", ResponseCode.ARITHMETIC),
        ({"vat": 13}, "items[0].vat", ResponseCode.UNKNOWN_CODE),
        ({"payment_method_sign": 8}, "items[0].payment_method_sign", ResponseCode.INVALID_VALUE),
        ({"unit": 256}, "items[0].unit", ResponseCode.INVALID_VALUE),
    ],
)
def test_a_bad_item_field_is_rejected_naming_its_path(
    ofd_client: httpx.Client, make_receipt, item_changes, field, code
) -> None:
    document = make_receipt()
    document["items"][0].update(item_changes)

    response = post(ofd_client, document)

    assert response.status_code == 422, response.text
    assert (response.json()["field"], response.json()["response_code"]) == (field, code)


def test_item_sums_are_price_times_quantity_rounded_half_up(ofd_client: httpx.Client, make_receipt) -> None:
    # 333 kopecks x 0.5 = 166.5 → 167.
    item = {"name": "Салфетка", "price": 333, "quantity": "0.5", "sum": 167, "vat": 1}
    document = make_receipt(items=[item], total=167, payments={"cash": 167, "electronic": 0})

    assert post(ofd_client, document).status_code == 200
    item["sum"] = 166
    rejected = post(
        ofd_client, make_receipt(fiscal_doc_number=43, items=[item], total=166, payments=document["payments"])
    )
    assert rejected.json()["field"] == "items[0].sum"
    assert "167" in rejected.json()["message"]


def test_the_total_must_be_the_sum_of_the_item_sums(ofd_client: httpx.Client, make_receipt) -> None:
    response = post(ofd_client, make_receipt(total=500001, payments={"cash": 1, "electronic": 500000}))

    assert (response.json()["field"], response.json()["response_code"]) == ("total", ResponseCode.ARITHMETIC)


def test_payments_must_add_up_to_the_total(ofd_client: httpx.Client, make_receipt) -> None:
    response = post(ofd_client, make_receipt(payments={"cash": 100, "electronic": 500000}))

    assert (response.json()["field"], response.json()["response_code"]) == ("payments", ResponseCode.ARITHMETIC)


@pytest.mark.parametrize("operation", [1, 2, 3, 4])
def test_every_known_calculation_sign_is_accepted(ofd_client: httpx.Client, make_receipt, operation) -> None:
    assert post(ofd_client, make_receipt(operation=operation)).status_code == 200


@pytest.mark.parametrize("vat", range(1, 13))
def test_every_vat_code_in_the_table_is_accepted_including_22_percent(
    ofd_client: httpx.Client, make_receipt, vat
) -> None:
    document = make_receipt()
    document["items"][0]["vat"] = vat

    assert post(ofd_client, document).status_code == 200


def test_the_vat_table_is_configurable(make_receipt) -> None:
    without_22 = {code: rate for code, rate in enumerate(["", "20%", "10%"]) if code}
    document = make_receipt()
    document["items"][0]["vat"] = 11
    with OfdEmulator(vat_codes=without_22) as ofd, http_client.client(base_url=ofd.url) as client:
        response = post(client, document)

    assert response.json()["field"] == "items[0].vat"
    assert "known: 1, 2" in response.json()["message"]


def test_optional_fields_may_be_left_out(ofd_client: httpx.Client, make_receipt) -> None:
    document = make_receipt()
    for field in ("taxation_system", "ffd_version", "shift_number", "receipt_number"):
        del document[field]
    for field in ("subject_sign", "payment_method_sign", "unit"):
        del document["items"][0][field]

    assert post(ofd_client, document).status_code == 200


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b""])
def test_a_body_that_is_not_a_json_object_is_rejected_as_malformed(ofd_client: httpx.Client, body) -> None:
    response = ofd_client.post("/ofd/v1/receipts", content=body)

    assert response.status_code == 400
    assert response.json()["field"] == "body"
    assert response.json()["response_code"] == ResponseCode.MALFORMED


def test_a_rejected_document_is_not_stored(ofd: OfdEmulator, ofd_client: httpx.Client, make_receipt) -> None:
    post(ofd_client, make_receipt(total=1))

    assert ofd.receipts_received == 0
    assert ofd.counters.rejected == 1



@pytest.mark.parametrize(
    ("quantity", "price", "field"),
    [("1" + "0" * 30, 1, "items[0].quantity"), ("1" + "0" * 12, 1, "items[0].quantity"),
     ("1.000", 2**48, "items[0].price")],
)
def test_a_quantity_or_price_beyond_the_ffd_range_is_rejected_naming_the_field(
    ofd_client: httpx.Client, make_receipt, quantity, price, field
) -> None:
    item = {**make_receipt()["items"][0], "quantity": quantity, "price": price, "sum": 0}
    response = post(ofd_client, make_receipt(items=[item]))

    assert response.status_code == 422
    assert (response.json()["response_code"], response.json()["field"]) == (ResponseCode.INVALID_VALUE, field)

