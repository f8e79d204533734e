"""A receipt's meaning must not depend on the parser: duplicate keys, a BOM and UTF-16/32 are refused with 400."""

from __future__ import annotations

import codecs
import json

import pytest

from pytest_opticserp import InProcessKktAdapter, ReceiptFactory

SEED = json.dumps(ReceiptFactory.guide(), ensure_ascii=False)
assert '"total": 5000.0' in SEED and '"tax_rate": 20' in SEED

AMBIGUOUS = {
    "total given twice, the last one right": (
        SEED.replace('"total": 5000.0', '"total": 1, "total": 5000.0').encode(), "duplicate key 'total'"),
    "a duplicate key inside an item": (
        SEED.replace('"tax_rate": 20', '"tax_rate": 20, "tax_rate": 0').encode(), "duplicate key 'tax_rate'"),
    "a UTF-8 byte order mark": (codecs.BOM_UTF8 + SEED.encode(), "byte order mark"),
    "UTF-16 with a byte order mark": (SEED.encode("utf-16"), "byte order mark"),
    "UTF-16 without a byte order mark": (SEED.encode("utf-16-le"), "send UTF-8"),
    "UTF-32": (SEED.encode("utf-32"), "byte order mark"),
}


@pytest.mark.parametrize("raw, problem", AMBIGUOUS.values(), ids=AMBIGUOUS.keys())
def test_an_ambiguous_body_is_refused_with_400_naming_the_problem(kkt_adapter_app: InProcessKktAdapter, raw: bytes,
                                                                   problem: str) -> None:
    response = kkt_adapter_app.client.post("/v1/kkt/receipt", content=raw, headers={
        "X-Idempotency-Key": "ambiguous", "Content-Type": "application/json"})

    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error"] == "malformed_json"
    assert error["errors"][0]["field"] == "body"
    assert problem in error["errors"][0]["problem"], error
    assert kkt_adapter_app.accepted() == 0


def test_the_same_body_without_the_duplicate_is_accepted(kkt_adapter_app: InProcessKktAdapter) -> None:
    response = kkt_adapter_app.client.post("/v1/kkt/receipt", content=SEED.encode(), headers={
        "X-Idempotency-Key": "plain", "Content-Type": "application/json"})

    assert response.status_code == 200, response.text
