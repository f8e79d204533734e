"""POST /v1/kkt/receipt over real HTTP: the seed's request and the receipt forms beyond it."""

from __future__ import annotations

import re
import sqlite3
import subprocess

import pytest

from pytest_opticserp import InProcessKktAdapter, ReceiptFactory

QR = re.compile(r"^t=\d{8}T\d{6}&s=\d+\.\d{2}&fn=\d{16}&i=\d+&fp=\d{1,10}&n=[1-4]$")


def test_the_guides_curl_command_fiscalizes_the_receipt(kkt_adapter_app: InProcessKktAdapter) -> None:
    body = (
        '{\n    "pos_id": "POS-001",\n    "items": [\n      {\n        "name": "Очки солнцезащитные Ray-Ban",\n'
        '        "quantity": 1,\n        "price": 5000.00,\n        "tax_rate": 20\n      }\n    ],\n'
        '    "total": 5000.00,\n    "payment_method": "card"\n  }'
    )
    result = subprocess.run(
        ["curl", "-s", "-w", "\\n%{http_code}", "-X", "POST", f"{kkt_adapter_app.url}/v1/kkt/receipt",
         "-H", "Content-Type: application/json", "-H", "X-Idempotency-Key: test-receipt-001", "-d", body],
        capture_output=True, text=True, timeout=30, check=True,
    )
    payload, code = result.stdout.rsplit("\n", 1)
    assert code == "200", payload
    assert '"status":"fiscalized"' in payload
    assert kkt_adapter_app.accepted() == 1


@pytest.mark.kkt_adapter(kkt_fn_serial="9999078900012345")
def test_the_answer_carries_the_registers_fiscal_data(kkt_adapter_app: InProcessKktAdapter) -> None:
    answer = kkt_adapter_app.post_receipt().json()
    fiscal = answer["fiscal"]
    assert answer["total"] == "5000.00"
    assert fiscal["fn_serial"] == "9999078900012345"
    assert fiscal["total"] == 500000
    assert fiscal["operation"] == 1
    assert fiscal["shift_number"] == 1 and fiscal["receipt_number"] == 1
    assert re.fullmatch(r"\d{1,10}", fiscal["fiscal_sign"])
    assert QR.match(fiscal["qr"]), fiscal["qr"]
    assert f"&i={fiscal['fiscal_doc_number']}&fp={fiscal['fiscal_sign']}&" in fiscal["qr"]
    assert "&s=5000.00&" in fiscal["qr"]


def test_fiscal_document_numbers_strictly_increase(kkt_adapter_app: InProcessKktAdapter) -> None:
    numbers = [kkt_adapter_app.post_receipt(key=f"k{i}").json()["fiscal"]["fiscal_doc_number"] for i in range(5)]
    assert numbers == sorted(set(numbers))
    receipt_numbers = [kkt_adapter_app.post_receipt(key=f"r{i}").json()["fiscal"]["receipt_number"] for i in range(2)]
    assert receipt_numbers == [6, 7]


def test_a_refund_is_fiscalized_as_a_return_of_income(kkt_adapter_app: InProcessKktAdapter) -> None:
    fiscal = kkt_adapter_app.post_receipt(ReceiptFactory.guide(type="refund")).json()["fiscal"]
    assert fiscal["operation"] == 2
    assert fiscal["qr"].endswith("&n=2")


def test_a_split_payment_of_cash_and_card_is_accepted(kkt_adapter_app: InProcessKktAdapter) -> None:
    body = ReceiptFactory.guide(payment_method=None, payments=[{"method": "cash", "amount": "1000.00"},
                                                       {"method": "card", "amount": "4000.00"}])
    del body["payment_method"]
    response = kkt_adapter_app.post_receipt(body)
    assert response.status_code == 200, response.text


def test_the_2026_vat_rates_are_accepted(kkt_adapter_app: InProcessKktAdapter) -> None:
    items = [
        {"name": "Оправа", "quantity": 1, "price": "100.00", "tax_rate": 22},
        {"name": "Линза", "quantity": 2, "price": "50.00", "tax_rate": "22/122"},
        {"name": "Книга", "quantity": "0.5", "price": "10.00", "tax_rate": 10},
        {"name": "Лекарство", "quantity": 1, "price": "1.00", "tax_rate": "none"},
    ]
    response = kkt_adapter_app.post_receipt(ReceiptFactory.guide(items=items, total="206.00"))
    assert response.status_code == 200, response.text


def test_quantities_are_rounded_to_the_kopeck_half_up(kkt_adapter_app: InProcessKktAdapter) -> None:
    items = [{"name": "Салфетка", "quantity": "0.333", "price": "10.05", "tax_rate": 22}]
    assert kkt_adapter_app.post_receipt(ReceiptFactory.guide(items=items, total="3.35")).status_code == 200


def test_the_seed_inspection_queries_work_on_the_buffer(kkt_adapter_offline: InProcessKktAdapter) -> None:
    adapter = kkt_adapter_offline
    adapter.post_receipt()
    with sqlite3.connect(adapter.buffer_path) as db:
        latest = db.execute("SELECT * FROM receipts ORDER BY created_at DESC LIMIT 10").fetchall()
        (pending,) = db.execute("SELECT COUNT(*) FROM receipts WHERE status = 'pending'").fetchone()
        dlq = db.execute("SELECT * FROM dlq").fetchall()
    assert len(latest) == 1 and pending == 1 and dlq == []


def test_the_buffer_is_in_wal_mode(kkt_adapter_app: InProcessKktAdapter) -> None:
    with sqlite3.connect(kkt_adapter_app.buffer_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_openapi_docs_are_served(kkt_adapter_app: InProcessKktAdapter) -> None:
    assert kkt_adapter_app.client.get("/docs").status_code == 200
    schema = kkt_adapter_app.client.get("/openapi.json").json()
    assert "/v1/kkt/receipt" in schema["paths"]


def test_openapi_describes_the_receipt_body_and_both_key_headers(kkt_adapter_app: InProcessKktAdapter) -> None:
    schema = kkt_adapter_app.client.get("/openapi.json").json()
    post = schema["paths"]["/v1/kkt/receipt"]["post"]
    assert {p["name"] for p in post["parameters"] if p["in"] == "header"} == {"X-Idempotency-Key",
                                                                             "Idempotency-Key"}
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    receipt = schema["components"]["schemas"][body]
    assert {"pos_id", "items", "total"} <= set(receipt["required"])
    item = receipt["properties"]["items"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert "tax_rate" in schema["components"]["schemas"][item]["properties"]



def test_openapi_describes_decimal_fields_as_what_the_adapter_accepts(kkt_adapter_app: InProcessKktAdapter) -> None:
    schemas = kkt_adapter_app.client.get("/openapi.json").json()["components"]["schemas"]

    for model, field, example in (("ReceiptIn", "total", "5000.00"), ("Item", "price", "5000.00"),
                                  ("Item", "quantity", "1.125"), ("Payment", "amount", "0.01")):
        number, text = schemas[model]["properties"][field]["anyOf"]
        assert (number["type"], text["type"], text["minLength"]) == ("number", "string", 1)
        assert number["maximum"] > 0 and number["multipleOf"] in (0.01, 0.001)
        assert re.fullmatch(text["pattern"], example) and not re.fullmatch(text["pattern"], "")
        if field != "price":  # a price may be 0; the others must be above zero, also when written as a string
            assert not [zero for zero in ("0", "0.00", "000.000") if re.fullmatch(text["pattern"], zero)], field
    assert kkt_adapter_app.post_receipt(ReceiptFactory.guide(total="")).status_code == 422
    assert kkt_adapter_app.post_receipt(ReceiptFactory.guide(total="0.00")).status_code == 422
