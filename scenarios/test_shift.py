"""Shifts: a cashier's day as the POS lives it, open, sell and refund, X report, Z report, sell again.

The Z report's totals are checked against the receipts the POS was answered for, by operation and VAT rate,
worked out in the test (not by the model that signed them). The 24-hour limit is reached with the
`kkt_register` marker and the register's clock, never a sleep.
"""

from __future__ import annotations

import pytest

from pytest_opticserp import KktAdapter
from scenarios.conftest import (
    assert_every_document_at_ofd,
    assert_gap_free,
    delivered_fiscal_numbers,
    fn_documents,
    shift_expired_code,
    shift_totals,
)

pytestmark = pytest.mark.shift

CASHIER = {"name": "Иванова А. П., кассир", "inn": "500100732259"}
HOUR = 3600


def day_of_sales(make) -> list[dict]:
    """Sales over every rate an optics shop uses, cash, card and split, and refunds of two of them."""
    return [
        make([make.item("5000.00", 1, 20)], payment_method="card"),
        make([make.item("1500.00", 2, 20), make.item("110.00", 1, 10)], payment_method="cash"),
        make.with_rates("22", "10", "22/122", "0", "none", price="333.33", payment_method="card"),
        make.split(cash="1000.00", card="2999.99", tax_rate=22),
        make([make.item("0.07", 3, 10)], payment_method="cash"),
        make([make.item("110.00", 1, 10)], payment_method="cash", type="refund"),
        make.refund(price="333.33", tax_rate="22/122", payment_method="card"),
    ]


def test_a_day_open_sales_refunds_x_report_and_z_report_whose_totals_equal_the_receipts(
        kkt_adapter: KktAdapter, ofd_emulator) -> None:
    opened = kkt_adapter.shift_call("open", {"cashier": CASHIER})
    bodies = day_of_sales(kkt_adapter.receipts)
    answers = [kkt_adapter.post_receipt(body) for body in bodies]
    x_report = kkt_adapter.shift_call("x-report")
    closed = kkt_adapter.shift_call("close", {"cashier": CASHIER})
    between = kkt_adapter.shift()
    after = kkt_adapter.post_receipt()

    assert opened.status_code == 200, opened.text
    document = opened.json()["document"]
    assert (opened.json()["status"], document["doc_type"]) == ("opened", 2)
    assert (document["cashier"], document["cashier_inn"]) == (CASHIER["name"], CASHIER["inn"])
    assert [a.status_code for a in answers] == [200] * len(bodies), [a.text for a in answers]
    assert {a.json()["fiscal"]["shift_number"] for a in answers} == {document["shift_number"]}
    expected = shift_totals(bodies)
    assert x_report.status_code == 200 and x_report.json()["report"]["shift_totals"] == expected
    assert closed.status_code == 200, closed.text
    z_report = closed.json()["document"]
    assert (closed.json()["status"], z_report["doc_type"], z_report["shift_number"]) == ("closed", 5,
                                                                                        document["shift_number"])
    assert z_report["receipts_in_shift"] == len(bodies)
    assert z_report["shift_totals"] == expected
    assert z_report["fiscal_doc_number"] == document["fiscal_doc_number"] + len(bodies) + 1
    assert between["shift_open"] is False

    assert after.status_code == 200, after.text  # the next sale opens the next shift by itself
    assert after.json()["fiscal"]["shift_number"] == z_report["shift_number"] + 1
    assert after.json()["fiscal"]["receipt_number"] == 1
    assert kkt_adapter.shift()["shift_open"] is True
    kkt_adapter.wait_until_synced(len(bodies) + 1)
    signed = [a.json()["fiscal"]["fiscal_doc_number"] for a in [*answers, after]]
    assert sorted(delivered_fiscal_numbers(ofd_emulator)) == signed
    assert_gap_free(fn_documents(kkt_adapter))
    assert_every_document_at_ofd(ofd_emulator, kkt_adapter)


@pytest.mark.kkt_register(shift_opened_hours_ago=23)
@pytest.mark.kkt_adapter(kkt_auto_open_shift=False)
def test_a_shift_past_24_hours_refuses_sales_until_the_z_report_and_the_next_shift_sells(
        kkt_adapter: KktAdapter, ofd_emulator) -> None:
    body = kkt_adapter.receipts.sale(price="1200.00", tax_rate=20)
    sold = kkt_adapter.post_receipt(body)
    kkt_adapter.restart(kkt_register_clock_offset_seconds=2 * HOUR)  # the shift opened 23 h ago is now 25 h old

    refused = kkt_adapter.post_receipt()
    reopened = kkt_adapter.shift_call("open")
    state = kkt_adapter.shift()
    health = kkt_adapter.health()
    closed = kkt_adapter.shift_call("close")
    unopened = kkt_adapter.post_receipt()
    opened = kkt_adapter.shift_call("open")
    after = kkt_adapter.post_receipt()

    assert sold.status_code == 200 and sold.json()["fiscal"]["receipt_number"] == 1
    assert refused.status_code == 409
    code = shift_expired_code(kkt_adapter)
    assert (refused.json()["error"], refused.json()["device_code"]) == ("shift_expired", code)
    assert "close it (Z report)" in refused.json()["message"]
    assert (reopened.status_code, reopened.json()["error"]) == (409, "shift_already_open")
    assert state["shift_open"] is True and state["shift_expired"] is True
    assert health["status"] == "degraded"
    assert any("shift_expired" in problem and f"0x{code:02X}" in problem for problem in health["problems"])
    assert health["kkt"]["blocked"]["code"] == "shift_expired"
    assert closed.status_code == 200, closed.text
    assert closed.json()["document"]["shift_totals"] == shift_totals([body])
    assert closed.json()["document"]["shift_totals"]["sale"]["count"] == 1
    assert (unopened.status_code, unopened.json()["error"]) == (409, "shift_closed")
    assert opened.status_code == 200 and opened.json()["shift_number"] == closed.json()["shift_number"] + 1
    assert after.status_code == 200, after.text
    assert after.json()["fiscal"]["shift_number"] == opened.json()["shift_number"]
    assert kkt_adapter.health()["status"] == "healthy"
    assert kkt_adapter.accepted() == 2
    kkt_adapter.wait_until_synced(2)
    assert delivered_fiscal_numbers(ofd_emulator) == [sold.json()["fiscal"]["fiscal_doc_number"],
                                                      after.json()["fiscal"]["fiscal_doc_number"]]
    assert_gap_free(fn_documents(kkt_adapter))
    assert_every_document_at_ofd(ofd_emulator, kkt_adapter)
