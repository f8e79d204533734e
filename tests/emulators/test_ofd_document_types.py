"""Every FN document type reaches the OFD emulator as the fiscal drive model writes it, and each is checked.

The documents come from the real model (`fiscal.fn`): a register's life from registration to FN close, so a
field the model renames breaks these tests rather than the adapter's delivery later.
"""

from __future__ import annotations

import copy
import sqlite3
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from emulators.ofd import OfdEmulator, ResponseCode
from fiscal.fn import Cashier, FiscalDrive, FnConfig, FnItem, FnReceipt
from fiscal.vat import VAT_RATE_CODES

SERIAL = "9999078900054321"
MSK = ZoneInfo("Europe/Moscow")


def as_sent(tags: dict[str, Any]) -> dict[str, Any]:
    """The FN's document as the adapter sends it: the item's rate as its tag 1199 code, as for receipts today."""
    document = copy.deepcopy(tags)
    for item in document.get("items", ()):
        item["vat"] = VAT_RATE_CODES[item.pop("vat_rate")]
    return document


@pytest.fixture(scope="module")
def signed() -> dict[int, dict[str, Any]]:
    """One document of each type the model signs, by type: 1, 2, 3, 5, 21, 6."""
    moments = iter(datetime(2026, 11, 21, 10, 0, tzinfo=MSK) + timedelta(minutes=n) for n in range(100))
    drive = FiscalDrive(FnConfig(fn_serial=SERIAL, kkt_reg_number="0000000001012345"), b"key", lambda: next(moments))
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(FiscalDrive.SCHEMA)
    cashier = Cashier("Иванова И. И.", "500100732259")
    items = (FnItem("Оправа", 450000, "1.000", 450000, "22"), FnItem("Салфетка", 333, "0.500", 167, "10"),
             FnItem("Футляр", 50000, "1.000", 50000, "none"))
    documents = [
        drive.register(conn),
        drive.open_shift(conn, cashier),
        drive.sell(conn, FnReceipt(1, items, 500167, cash=167, electronic=500000, cashier=cashier), "sale-1"),
        drive.close_shift(conn, cashier),
        drive.state_report(conn),
        drive.close_fn(conn),
    ]
    return {document.doc_type: as_sent(document.tags) for document in documents}


@pytest.fixture
def life(signed: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The signed documents, a copy each test may change."""
    return copy.deepcopy(signed)


def correction(life: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Document 31: the model signs none yet, so it is the receipt with the correction's own fields."""
    return {**copy.deepcopy(life[3]), "doc_type": 31, "fiscal_doc_number": 7, "correction_type": 1,
            "correction_basis": {"date": "2026-11-20", "order_number": "12-34/5"}}


def post(client: httpx.Client, document: dict[str, Any]) -> httpx.Response:
    return client.post("/ofd/v1/receipts", json=document)


@pytest.mark.parametrize("doc_type", [1, 2, 3, 5, 21, 6])
def test_each_document_the_fiscal_drive_signs_is_accepted(ofd_client: httpx.Client, life, doc_type) -> None:
    response = post(ofd_client, life[doc_type])

    assert response.status_code == 200, response.text
    assert (response.json()["response_code"], response.json()["doc_type"]) == (0, doc_type)


def test_a_correction_receipt_is_accepted(ofd_client: httpx.Client, life) -> None:
    response = post(ofd_client, correction(life))

    assert response.status_code == 200, response.text
    assert response.json()["doc_type"] == 31


def test_a_document_without_doc_type_is_a_receipt(ofd: OfdEmulator, ofd_client: httpx.Client, life) -> None:
    receipt = life[3]
    del receipt["doc_type"]

    assert post(ofd_client, receipt).json()["doc_type"] == 3
    assert ofd.receipts_received == 1


def test_only_receipts_count_as_receipts_received(ofd_client: httpx.Client, life) -> None:
    for doc_type in (1, 2, 3):
        post(ofd_client, life[doc_type])

    health = ofd_client.get("/ofd/v1/health").json()
    assert (health["receipts_received"], health["documents_received"]) == (1, 3)


@pytest.mark.parametrize("doc_type", [0, 4, 7, 99])
def test_an_unknown_document_type_is_refused(ofd_client: httpx.Client, life, doc_type) -> None:
    response = post(ofd_client, {**life[2], "doc_type": doc_type})

    assert response.status_code == 422
    assert (response.json()["field"], response.json()["response_code"]) == ("doc_type", ResponseCode.UNKNOWN_CODE)


def test_a_doc_type_that_is_not_an_integer_is_malformed(ofd_client: httpx.Client, life) -> None:
    response = post(ofd_client, {**life[2], "doc_type": "2"})

    assert (response.json()["field"], response.json()["response_code"]) == ("doc_type", ResponseCode.MALFORMED)


COMMON = ["fn_serial", "fiscal_doc_number", "fiscal_sign", "kkt_reg_number", "datetime"]
REQUIRED = {
    1: [*COMMON, "ffd_version", "user_inn", "user_name", "address", "place", "kkt_serial", "taxation_systems"],
    2: [*COMMON, "shift_number"],
    3: [*COMMON, "operation", "total", "items", "payments"],
    5: [*COMMON, "shift_number", "receipts_in_shift", "unsent_count", "shift_totals"],
    21: [*COMMON, "shift_number", "unsent_count"],
    6: [*COMMON, "unsent_count"],
    31: [*COMMON, "operation", "total", "items", "payments", "correction_type", "correction_basis"],
}


@pytest.mark.parametrize(("doc_type", "field"), [(t, f) for t, fields in REQUIRED.items() for f in fields])
def test_a_document_missing_a_field_its_type_requires_is_refused_naming_it(
    ofd: OfdEmulator, ofd_client: httpx.Client, life, doc_type, field
) -> None:
    document = correction(life) if doc_type == 31 else life[doc_type]
    del document[field]

    response = post(ofd_client, document)

    assert response.status_code == 422, response.text
    assert (response.json()["field"], response.json()["response_code"]) == (field, ResponseCode.MALFORMED)
    assert ofd.counters.rejected == 1 and ofd.counters.accepted == 0


def test_a_correction_by_order_needs_the_basis_date(ofd_client: httpx.Client, life) -> None:
    document = correction(life)
    del document["correction_basis"]["date"]

    assert post(ofd_client, document).json()["field"] == "correction_basis.date"


def test_a_registration_with_an_inn_failing_its_control_digits_is_refused(ofd_client: httpx.Client, life) -> None:
    response = post(ofd_client, {**life[1], "user_inn": "7700000001"})

    assert (response.json()["field"], response.json()["response_code"]) == ("user_inn", ResponseCode.INVALID_VALUE)


def test_z_report_totals_whose_payments_do_not_add_up_are_refused(ofd_client: httpx.Client, life) -> None:
    report = life[5]
    report["shift_totals"]["sale"]["cash"] += 1

    response = post(ofd_client, report)

    assert (response.json()["field"], response.json()["response_code"]) == ("shift_totals.sale",
                                                                            ResponseCode.ARITHMETIC)


def test_z_report_sums_per_rate_must_add_up_to_the_operations_total(ofd_client: httpx.Client, life) -> None:
    report = life[5]
    report["shift_totals"]["sale"]["by_rate"]["22"]["sum"] -= 1

    response = post(ofd_client, report)

    assert (response.json()["field"], response.json()["response_code"]) == ("shift_totals.sale.by_rate",
                                                                            ResponseCode.ARITHMETIC)


def test_the_same_number_resent_as_another_type_is_a_conflict(ofd_client: httpx.Client, life) -> None:
    post(ofd_client, life[2])
    state = {**life[21], "fiscal_doc_number": life[2]["fiscal_doc_number"], "datetime": life[2]["datetime"],
             "fiscal_sign": life[2]["fiscal_sign"]}

    response = post(ofd_client, state)

    assert response.status_code == 409
    assert response.json()["response_code"] == ResponseCode.CONFLICT


class TestVatSums:
    """Tag 1200 per item and the receipt's sums per rate, recomputed with `fiscal.fn.vat` when present."""

    def test_the_drives_own_vat_sums_are_accepted(self, ofd_client: httpx.Client, life) -> None:
        receipt = life[3]
        assert receipt["vat_sums"] == {"22": 81148, "10": 15, "none": 0}

        assert post(ofd_client, receipt).status_code == 200

    def test_an_item_vat_sum_that_is_not_the_rates_share_is_refused(self, ofd_client: httpx.Client, life) -> None:
        receipt = life[3]
        receipt["items"][1]["vat_sum"] = 16

        response = post(ofd_client, receipt)

        assert response.status_code == 422
        assert (response.json()["field"], response.json()["response_code"]) == ("items[1].vat_sum",
                                                                                ResponseCode.ARITHMETIC)
        assert "15" in response.json()["message"]

    @pytest.mark.parametrize(("change", "field"), [
        ({"22": 81149}, "vat_sums.22"),  # one kopeck off
        ({"20": 0}, "vat_sums.20"),  # a rate no item has
        ({"none": None}, "vat_sums.none"),  # a rate an item has, left out
    ])
    def test_receipt_vat_sums_that_do_not_add_up_are_refused(self, ofd_client: httpx.Client, life, change,
                                                             field) -> None:
        receipt = life[3]
        receipt["vat_sums"].update(change)
        receipt["vat_sums"] = {rate: vat for rate, vat in receipt["vat_sums"].items() if vat is not None}

        response = post(ofd_client, receipt)

        assert response.status_code == 422
        assert (response.json()["field"], response.json()["response_code"]) == (field, ResponseCode.ARITHMETIC)

    def test_a_vat_sum_under_an_unknown_rate_is_refused(self, ofd_client: httpx.Client, life) -> None:
        receipt = life[3]
        receipt["vat_sums"]["13"] = 0

        response = post(ofd_client, receipt)

        assert (response.json()["field"], response.json()["response_code"]) == ("vat_sums.13",
                                                                                ResponseCode.UNKNOWN_CODE)

    def test_receipt_sums_are_checked_against_the_items_share_when_items_carry_none(
        self, ofd_client: httpx.Client, life
    ) -> None:
        receipt = life[3]
        for item in receipt["items"]:
            del item["vat_sum"]
        receipt["vat_sums"]["10"] = 16

        assert post(ofd_client, receipt).json()["field"] == "vat_sums.10"

    def test_a_receipt_without_vat_sums_is_accepted_as_the_adapter_sends_it_today(
        self, ofd_client: httpx.Client, life
    ) -> None:
        receipt = life[3]
        del receipt["vat_sums"]
        for item in receipt["items"]:
            del item["vat_sum"]

        assert post(ofd_client, receipt).status_code == 200
