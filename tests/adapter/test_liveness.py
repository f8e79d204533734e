"""A small hostile request never stalls the adapter: another client's /v1/health stays fast meanwhile.

Huge-exponent numbers (1e300000 takes seconds to turn into an int) and huge or many headers are refused
promptly with a 4xx JSON answer, and a second client's health checks never wait 100 ms. The adapter is a
real process, as in production, so its event loop is not shared with the test's threads.
"""

from __future__ import annotations

import json

import pytest

from pytest_opticserp import KktAdapter
from tests.liveness import raw_request, request_bytes, under_hostile_load

pytestmark = pytest.mark.kkt_adapter(redis=False)

HEALTH_BUDGET = 0.100
PROMPT = 1.0  # seconds a refusal may take, body or header, however hostile


def receipt_bytes(items: int = 1, **literals: str) -> bytes:
    """A receipt whose numeric fields are the given JSON literals, written verbatim (1e300000, "1e300000")."""
    values = {"quantity": "1", "price": "5000.00", "tax_rate": "20", "total": "5000.00", "amount": '"5000.00"'}
    values.update(literals)
    item = (f'{{"name":"Очки","quantity":{values["quantity"]},"price":{values["price"]},'
            f'"tax_rate":{values["tax_rate"]}}}')
    return (f'{{"pos_id":"POS-001","items":[{",".join([item] * items)}],"total":{values["total"]},'
            f'"payments":[{{"method":"card","amount":{values["amount"]}}}]}}').encode()


HOSTILE_BODIES = {
    "VAT rate as a number": receipt_bytes(tax_rate="1e300000"),
    "VAT rate as a string": receipt_bytes(tax_rate='"1e300000"'),
    "100 items with huge VAT rates": receipt_bytes(100, tax_rate="1e999999"),
    "100 items with huge VAT rates as strings": receipt_bytes(100, tax_rate='"1e999999"'),
    "huge prices and quantities": receipt_bytes(100, price="1e999999", quantity="1e-999999"),
    "huge prices and quantities as strings": receipt_bytes(100, price='"1e999999"', quantity='"1e-999999"'),
    "huge total and payment": receipt_bytes(total="1e999999", amount="1e999999"),
    "huge total and payment as strings": receipt_bytes(total='"-1e999999"', amount='"1e999999"'),
    "an integer of 4000 digits": receipt_bytes(total="9" * 4000),
}


def test_health_stays_fast_while_a_client_sends_huge_exponent_numbers(kkt_adapter: KktAdapter) -> None:
    headers = {"Content-Type": "application/json", "X-Idempotency-Key": "hostile"}
    requests = {name: request_bytes("POST", "/v1/kkt/receipt", headers, body) for name, body in HOSTILE_BODIES.items()}
    probe, answers = under_hostile_load(f"{kkt_adapter.url}/v1/health", kkt_adapter.port, requests, HEALTH_BUDGET)

    assert probe.worst < HEALTH_BUDGET, probe.summary()
    for name, answer in answers:
        assert answer.status in (400, 422), (name, answer)
        assert answer.body["errors"][0]["field"] and answer.body["errors"][0]["problem"], (name, answer.body)
        assert answer.seconds < PROMPT, (name, answer.seconds)
    assert kkt_adapter.status()["pending_count"] == 0


def test_health_stays_fast_while_a_client_sends_huge_and_many_headers(kkt_adapter: KktAdapter) -> None:
    hostile = {
        "a 64 MB header": request_bytes("GET", "/v1/health", extra_head=b"X-Big: " + b"a" * (64 << 20) + b"\r\n"),
        "a 64 MB URL": request_bytes("GET", "/v1/health?q=" + "a" * (64 << 20)),
        "a 64 KB header in one read": request_bytes("GET", "/v1/health", {"X-Big": "a" * 65536}),
        "1000 headers": request_bytes("GET", "/v1/health", {f"X-H{n}": "y" for n in range(1000)}),
    }
    probe, answers = under_hostile_load(f"{kkt_adapter.url}/v1/health", kkt_adapter.port, hostile, HEALTH_BUDGET)

    assert probe.worst < HEALTH_BUDGET, probe.summary()
    for name, answer in answers:
        assert answer.status in (431, None), (name, answer)  # None: cut off while still sending, also refused
        assert answer.seconds < PROMPT, (name, answer.seconds)
    assert {answer.status for name, answer in answers if name == "1000 headers"} == {431}


@pytest.mark.kkt_adapter(redis=False, max_header_bytes=4096, max_header_count=20)
def test_headers_over_the_configured_limits_get_431_naming_the_headers(kkt_adapter: KktAdapter) -> None:
    within = kkt_adapter.client.get("/v1/health", headers={"X-Pad": "a" * 3000, **{f"X-{n}": "y" for n in range(10)}})
    too_long = raw_request(kkt_adapter.port, request_bytes("GET", "/v1/health", {"X-Pad": "a" * 5000}))
    too_many = raw_request(kkt_adapter.port, request_bytes("GET", "/v1/health", {f"X-{n}": "y" for n in range(25)}))

    assert within.status_code == 200
    for answer, problem in ((too_long, "exceed 4096 bytes"), (too_many, "more than 20 header lines")):
        assert answer.status == 431, answer
        assert answer.body["error"] == "headers_too_large"
        assert answer.body["errors"][0]["field"] == "headers"
        assert problem in answer.body["errors"][0]["problem"], json.dumps(answer.body)
