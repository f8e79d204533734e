"""The POS's other register calls: correction receipts, the FN's state report, cash in and out; each once per
idempotency key, each signed document delivered to the OFD, and a crash after the signature repaired from the
register so the retry gets the original document."""

from __future__ import annotations

import sqlite3

import pytest

from emulators.ofd import OfdEmulator
from pytest_opticserp import InProcessKktAdapter, KktAdapter
from pytest_opticserp.waiting import eventually

CORRECTION = {
    "pos_id": "POS-001",
    "type": "sale",
    "items": [{"name": "Оправа, продана без чека", "quantity": 1, "price": "4500.00", "tax_rate": 22}],
    "total": "4500.00",
    "payment_method": "cash",
    "correction_type": "by_order",
    "basis": {"date": "2026-01-15", "order_number": "ЕД-42/17"},
}


def test_a_correction_receipt_is_signed_as_document_31_and_reaches_the_ofd(
        kkt_adapter_app: InProcessKktAdapter, ofd_emulator: OfdEmulator) -> None:
    response = kkt_adapter_app.register_call("correction", CORRECTION)
    assert response.status_code == 200, response.text
    answer = response.json()
    document = answer["document"]
    assert (answer["status"], document["doc_type"], document["operation"], document["total"]) == (
        "fiscalized", 31, 1, 450000)
    assert document["correction_type"] == 1
    assert document["correction_basis"] == {"date": "2026-01-15", "order_number": "ЕД-42/17"}
    assert document["vat_sums"] == {"22": 81148} and document["receipt_number"] == 1
    assert document["qr"].endswith(f"&i={document['fiscal_doc_number']}&fp={document['fiscal_sign']}&n=1")

    fd = document["fiscal_doc_number"]
    kkt_adapter_app.sync_now()
    (at_ofd,) = eventually(lambda: ofd_emulator.received(fiscal_doc_number=fd), f"correction FD {fd} at the OFD")
    assert at_ofd.document["doc_type"] == 31 and at_ofd.document["items"][0]["vat"] == 11  # 22 %, as 1199 knows it


def test_a_correction_counts_in_the_z_report_with_the_receipts(kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt_adapter_app.post_receipt()
    kkt_adapter_app.register_call("correction", {**CORRECTION, "type": "refund", "correction_type": "self",
                                                 "basis": {"date": "2026-01-15"}})
    totals = kkt_adapter_app.shift_call("close").json()["document"]["shift_totals"]
    assert totals["sale_refund"]["count"] == totals["sale_refund"]["corrections"] == 1
    assert totals["sale_refund"]["total"] == 450000 and "corrections" not in totals["sale"]


@pytest.mark.parametrize(("change", "field"), [
    ({"correction_type": "by_order", "basis": {"date": "2026-01-15"}}, "basis.order_number"),
    ({"correction_type": "later"}, "correction_type"),
    ({"basis": {"date": "15.01.2026"}}, "basis.date"),
    ({"basis": None}, "basis"),
    ({"total": "1.00"}, "total"),
])
def test_a_bad_correction_is_refused_naming_the_field_and_signs_nothing(
        kkt_adapter_app: InProcessKktAdapter, change: dict, field: str) -> None:
    before = kkt_adapter_app.health()["kkt"]["last_fiscal_doc_number"]
    response = kkt_adapter_app.register_call("correction", {**CORRECTION, **change})
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert kkt_adapter_app.health()["kkt"]["last_fiscal_doc_number"] == before


def test_a_correction_dated_after_the_registers_today_is_refused_by_the_register(
        kkt_adapter_app: InProcessKktAdapter) -> None:
    response = kkt_adapter_app.register_call("correction", {**CORRECTION, "basis": {"date": "2999-01-01",
                                                                                     "order_number": "1"}})
    assert response.status_code == 422
    assert (response.json()["error"], response.json()["device_code"]) == ("correction_invalid", 0x33)


def test_a_retried_correction_returns_the_same_document(kkt_adapter_app: InProcessKktAdapter) -> None:
    first = kkt_adapter_app.register_call("correction", CORRECTION, key="corr-1")
    again = kkt_adapter_app.register_call("correction", CORRECTION, key="corr-1")
    other = kkt_adapter_app.register_call("correction", {**CORRECTION, "payment_method": "card"}, key="corr-1")
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 409 and other.json()["error"] == "idempotency_conflict"


@pytest.mark.ofd_offline
def test_the_state_report_is_document_21_with_the_unsent_documents_and_reaches_the_ofd(
        kkt_adapter: KktAdapter, ofd_emulator: OfdEmulator, opticserp_scenario) -> None:
    kkt_adapter.post_receipt()  # the registration report, the shift's opening and the receipt wait for the OFD
    response = kkt_adapter.register_call("fn/state-report", key="state-1")
    document = response.json()["document"]
    assert (response.status_code, document["doc_type"], document["fiscal_doc_number"]) == (200, 21, 4)
    assert (document["unsent_count"], document["oldest_unsent_fd"]) == (3, 1)
    assert kkt_adapter.register_call("fn/state-report", key="state-1").json() == response.json()
    opticserp_scenario.restore()
    eventually(lambda: ofd_emulator.received(fiscal_doc_number=4), "the state report at the OFD")


def test_cash_in_and_out_move_the_drawer_and_show_in_the_x_and_z_reports(kkt_adapter_app: InProcessKktAdapter) -> None:
    put = kkt_adapter_app.register_call("cash/in", {"amount": "5000.00", "cashier": {"name": "Иванова"}})
    kkt_adapter_app.post_receipt(kkt_adapter_app.receipts.sale("5000.00", payment_method="cash"))
    taken = kkt_adapter_app.register_call("cash/out", {"amount": 8000})  # of the 10,000.00 in the drawer
    assert put.status_code == taken.status_code == 200, (put.text, taken.text)
    assert put.json()["cash"]["cash_in_drawer"] == 500000 and put.json()["cash"]["cashier"] == "Иванова"
    assert taken.json()["cash"] == {**taken.json()["cash"], "kind": "out", "amount": 800000, "cash_in_drawer": 200000}
    assert put.json()["cash"]["shift_number"] == taken.json()["cash"]["shift_number"] == 1  # cash in opened it

    x_report = kkt_adapter_app.shift_call("x-report").json()["report"]
    assert (x_report["cash_in"], x_report["cash_out"], x_report["cash_in_drawer"]) == (500000, 800000, 200000)
    z_report = kkt_adapter_app.shift_call("close").json()["document"]
    assert (z_report["cash_in"], z_report["cash_out"], z_report["cash_in_drawer"]) == (500000, 800000, 200000)


def test_taking_out_more_than_the_drawer_holds_is_refused_and_the_key_stays_free(
        kkt_adapter_app: InProcessKktAdapter) -> None:
    refused = kkt_adapter_app.register_call("cash/out", {"amount": "0.01"}, key="out-1")
    assert refused.status_code == 409
    assert (refused.json()["error"], refused.json()["device_code"]) == ("insufficient_cash", 0x46)
    kkt_adapter_app.register_call("cash/in", {"amount": "1.00"})
    assert kkt_adapter_app.register_call("cash/out", {"amount": "0.01"}, key="out-1").status_code == 200


@pytest.mark.parametrize("body", [{"amount": 0}, {"amount": "-1"}, {"amount": "1.001"}, {}, {"amount": 1, "x": 1}])
def test_a_bad_cash_amount_is_refused(kkt_adapter_app: InProcessKktAdapter, body: dict) -> None:
    response = kkt_adapter_app.register_call("cash/in", body)
    assert response.status_code == 422, response.text
    assert kkt_adapter_app.shift()["shift_open"] is False


@pytest.mark.parametrize(("path", "body", "status"), [
    ("shift/open", None, "opened"),
    ("correction", CORRECTION, "fiscalized"),
    ("cash/in", {"amount": "10.00"}, "recorded"),
    ("fn/state-report", None, "reported"),
])
def test_a_call_the_register_signed_before_a_crash_is_answered_from_the_register_on_retry(
        kkt_adapter_app: InProcessKktAdapter, path: str, body: dict | None, status: str) -> None:
    if path == "cash/in":
        kkt_adapter_app.shift_call("open")
    first = kkt_adapter_app.register_call(path, body, key="crash-1")
    kkt_adapter_app.stop()
    with sqlite3.connect(kkt_adapter_app.buffer_path) as buffer:  # as a kill after the register signed
        buffer.execute("UPDATE operations SET status = 'running', response = NULL WHERE idempotency_key = 'crash-1'")
        buffer.execute("DELETE FROM fn_documents WHERE fiscal_doc_number = (SELECT MAX(fiscal_doc_number)"
                       " FROM fn_documents)")
    kkt_adapter_app.start()
    retried = kkt_adapter_app.register_call(path, body, key="crash-1")
    assert retried.status_code == 200 and retried.json()["status"] == status
    assert retried.json() == first.json()
    fds = [fd for (fd,) in kkt_adapter_app.query("SELECT fiscal_doc_number FROM fn_documents ORDER BY 1")]
    assert fds == list(range(1, len(fds) + 1))  # the document the crash kept from the outbox is back in it


def test_the_openapi_document_describes_the_new_calls(kkt_adapter_app: InProcessKktAdapter) -> None:
    schema = kkt_adapter_app.client.get("/openapi.json").json()
    for path in ("/v1/kkt/correction", "/v1/kkt/cash/in", "/v1/kkt/cash/out", "/v1/kkt/fn/state-report"):
        operation = schema["paths"][path]["post"]
        assert {"X-Idempotency-Key", "Idempotency-Key"} <= {p["name"] for p in operation["parameters"]}
        assert {"200", "400", "409", "503"} <= set(operation["responses"])
    assert "insufficient_cash" in schema["paths"]["/v1/kkt/cash/out"]["post"]["responses"]["409"]["description"]
    assert "correction_invalid" in schema["paths"]["/v1/kkt/correction"]["post"]["responses"]["422"]["description"]
    assert {"correction_type", "basis"} <= set(schema["components"]["schemas"]["CorrectionIn"]["properties"])
