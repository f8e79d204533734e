"""Huge-exponent numbers in any numeric field of a receipt are refused at once, never after seconds.

1e300000 took 2.2 s to refuse as a VAT rate (its conversion to an int is quadratic in the exponent); every
field that holds a number is checked here, as a JSON number and as a string. "At once" is read on the thread's
own CPU clock: the hazard burns CPU, and a wall clock also counts the time a busy machine gives other processes
(CI's 3.12 sample saw 81 ms of wall time for a refusal that costs well under a millisecond).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from pydantic import ValidationError

from kkt_adapter.api.errors import ApiError
from kkt_adapter.api.json_body import parse_json_body
from kkt_adapter.receipt import ReceiptIn
from kkt_adapter.vat import parse_rate

AT_ONCE = 0.05  # seconds of this thread's CPU; the unbounded conversion took 2 s and more
HUGE = ["1e300000", "-1e300000", "1e-300000", "1E+999999"]


@pytest.mark.parametrize("text", HUGE)
def test_a_vat_rate_with_a_huge_exponent_is_unknown_at_once(text: str) -> None:
    began = time.thread_time()
    with pytest.raises(ValueError, match="VAT rate"):
        parse_rate(text)
    assert time.thread_time() - began < AT_ONCE


def receipt(field: str, value: str) -> dict[str, Any]:
    item = {"name": "Очки", "quantity": "1", "price": "5000.00", "tax_rate": "20"}
    body: dict[str, Any] = {"pos_id": "POS-001", "items": [item], "total": "5000.00",
                            "payments": [{"method": "card", "amount": "5000.00"}]}
    if field in item:
        item[field] = value
    elif field == "amount":
        body["payments"][0]["amount"] = value
    else:
        body[field] = value
    return body


FIELDS = ["quantity", "price", "tax_rate", "total", "amount"]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("text", HUGE)
def test_a_huge_exponent_as_a_string_is_refused_at_once(field: str, text: str) -> None:
    began = time.thread_time()
    with pytest.raises(ValidationError):
        ReceiptIn.model_validate(receipt(field, text))
    assert time.thread_time() - began < AT_ONCE


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("text", HUGE)
def test_a_huge_exponent_as_a_json_number_is_refused_at_once(field: str, text: str) -> None:
    raw = repr(receipt(field, "HUGE")).replace("'", '"').replace('"HUGE"', text).encode()
    began = time.thread_time()
    with pytest.raises((ApiError, ValidationError)):
        ReceiptIn.model_validate(parse_json_body(raw, "application/json"))
    assert time.thread_time() - began < AT_ONCE
