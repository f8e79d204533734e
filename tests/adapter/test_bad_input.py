"""Bad input gets a 4xx JSON answer naming the field and the problem; never a 500, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_opticserp import InProcessKktAdapter, ReceiptFactory


def item(**changes: Any) -> dict[str, Any]:
    base = {"name": "Очки", "quantity": 1, "price": "5000.00", "tax_rate": 20}
    base.update(changes)
    return base


CASES = {
    "negative price": (ReceiptFactory.guide(items=[item(price=-1)], total=-1), "items[0].price"),
    "price with a tenth of a kopeck": (ReceiptFactory.guide(items=[item(price="5000.001")], total="5000.001"),
                                       "items[0].price"),
    "price as text that is no number": (ReceiptFactory.guide(items=[item(price="five")]), "items[0].price"),
    "zero quantity": (ReceiptFactory.guide(items=[item(quantity=0)]), "items[0].quantity"),
    "quantity with four decimals": (ReceiptFactory.guide(items=[item(quantity="1.0001")]), "items[0].quantity"),
    "unknown VAT rate": (ReceiptFactory.guide(items=[item(tax_rate=18)]), "items[0].tax_rate"),
    "VAT rate as a list": (ReceiptFactory.guide(items=[item(tax_rate=[20])]), "items[0].tax_rate"),
    "empty name": (ReceiptFactory.guide(items=[item(name="")]), "items[0].name"),
    "name over 128 characters": (ReceiptFactory.guide(items=[item(name="x" * 129)]), "items[0].name"),
    "no items": (ReceiptFactory.guide(items=[]), "items"),
    "items not a list": (ReceiptFactory.guide(items="Ray-Ban"), "items"),
    "total not the sum of the items": (ReceiptFactory.guide(total="4999.99"), "total"),
    "payments not adding up": (
        {**ReceiptFactory.guide(), "payment_method": None, "payments": [{"method": "cash", "amount": "1.00"}]},
        "payments",
    ),
    "both payment forms": (ReceiptFactory.guide(payments=[{"method": "card", "amount": "5000.00"}]), "payment_method"),
    "unknown payment method": (ReceiptFactory.guide(payment_method="bitcoin"), "payment_method"),
    "unknown field": (ReceiptFactory.guide(discount=5), "discount"),
    "missing pos_id": ({k: v for k, v in ReceiptFactory.guide().items() if k != "pos_id"}, "pos_id"),
    "pos_id as a number": (ReceiptFactory.guide(pos_id=1), "pos_id"),
    "unknown receipt type": (ReceiptFactory.guide(type="gift"), "type"),
    "a huge total": (ReceiptFactory.guide(items=[item(price="1e12")], total="1e12"), "items[0].price"),
    "a JSON array instead of an object": ([ReceiptFactory.guide()], "body"),
}


@pytest.mark.parametrize("body, field", CASES.values(), ids=CASES.keys())
def test_an_invalid_receipt_is_refused_naming_the_field(kkt_adapter_app: InProcessKktAdapter, body: Any,
                                                        field: str) -> None:
    response = kkt_adapter_app.client.post("/v1/kkt/receipt", json=body, headers={"X-Idempotency-Key": "bad"})
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"] == "validation_error"
    assert field in [e["field"] for e in error["errors"]], error
    assert all(e["problem"] for e in error["errors"])
    assert kkt_adapter_app.accepted() == 0


RAW_CASES = {
    "malformed JSON": b'{"pos_id": ',
    "NaN as a price": b'{"pos_id":"P","items":[{"name":"a","quantity":1,"price":NaN,"tax_rate":20}],'
                      b'"total":1,"payment_method":"card"}',
    "Infinity as a total": b'{"pos_id":"P","items":[],"total":Infinity,"payment_method":"card"}',
    "not UTF-8": b'{"pos_id":"\xff\xfe"}',
    "an integer with 5000 digits": b'{"total":' + b"9" * 5000 + b"}",
    "deeply nested arrays": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("raw", RAW_CASES.values(), ids=RAW_CASES.keys())
def test_unparseable_json_is_a_400_naming_the_body(kkt_adapter_app: InProcessKktAdapter, raw: bytes) -> None:
    response = kkt_adapter_app.client.post("/v1/kkt/receipt", content=raw, headers={
        "X-Idempotency-Key": "raw", "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "malformed_json"
    assert response.json()["errors"][0]["field"] == "body"


def test_a_huge_body_is_refused_with_413(kkt_adapter_app: InProcessKktAdapter) -> None:
    huge = ReceiptFactory.guide(items=[item(name="x" * 100)] * 5000)
    response = kkt_adapter_app.client.post("/v1/kkt/receipt", json=huge, headers={"X-Idempotency-Key": "huge"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"


def test_a_huge_body_sent_in_chunks_is_refused_with_413(kkt_adapter_app: InProcessKktAdapter) -> None:
    def chunks():
        yield b'{"pos_id": "'
        for _ in range(400):
            yield b"x" * 1024
        yield b'"}'

    response = kkt_adapter_app.client.post("/v1/kkt/receipt", content=chunks(), headers={
        "X-Idempotency-Key": "chunked", "Content-Type": "application/json"})
    assert response.status_code == 413


def test_a_form_encoded_body_is_refused_with_a_hint(kkt_adapter_app: InProcessKktAdapter) -> None:
    response = kkt_adapter_app.client.post("/v1/kkt/receipt", content=b"pos_id=1", headers={
        "X-Idempotency-Key": "form", "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert "application/json" in response.json()["errors"][0]["problem"]


def test_an_unknown_path_is_a_json_404(kkt_adapter_app: InProcessKktAdapter) -> None:
    response = kkt_adapter_app.client.get("/v1/kkt/nothing")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_wrong_method_is_a_json_405(kkt_adapter_app: InProcessKktAdapter) -> None:
    response = kkt_adapter_app.client.get("/v1/kkt/receipt")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
