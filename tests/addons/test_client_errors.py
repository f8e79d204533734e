"""Each answer the adapter can give maps to one error type, including those a live adapter rarely gives.

A canned `requests` transport stands in for the adapter here; the live cases are in test_adapter_client.py.
"""

from __future__ import annotations

import json

import pytest
import requests
from optics_pos_ru54fz.lib import (
    AdapterBusy,
    AdapterClient,
    AdapterProtocolError,
    AdapterUnreachable,
    ReceiptRejected,
    RegisterRefused,
)
from optics_pos_ru54fz.lib.errors import AdapterError
from requests.adapters import BaseAdapter

BODY = {"pos_id": "POS-001", "items": [{"name": "Lens", "quantity": "1", "price": "100.00", "tax_rate": "22"}],
        "total": "100.00", "payment_method": "card"}


class Canned(BaseAdapter):
    """Answers every request with one response (or raises one exception), and keeps the requests."""

    def __init__(self, status: int = 200, body: object = None, headers: dict[str, str] | None = None,
                 raises: Exception | None = None) -> None:
        super().__init__()
        self.status, self.body, self.headers, self.raises = status, body, headers or {}, raises
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        self.sent.append(request)
        if self.raises is not None:
            raise self.raises
        response = requests.Response()
        response.status_code, response.request, response.url = self.status, request, request.url
        is_text = isinstance(self.body, str)
        response._content = (self.body if is_text else json.dumps(self.body)).encode()
        response.headers.update({"Content-Type": "text/html" if is_text else "application/json", **self.headers})
        return response

    def close(self) -> None:
        pass


def client_on(transport: Canned, token: str | None = None) -> AdapterClient:
    session = requests.Session()
    session.mount("http://", transport)
    return AdapterClient("http://adapter.test:8000/", token=token, session=session)


def refusal(code: str, device_code: int | None) -> dict:
    return {"error": code, "message": f"the register refused: {code}", "errors": [], "device_code": device_code}


@pytest.mark.parametrize(("status", "body", "headers", "kind", "details"), [
    (503, {"error": "buffer_full", "message": "full", "errors": []}, {"Retry-After": "5"}, AdapterBusy,
     {"retry_after": 5.0}),
    (409, {"error": "still_fiscalizing", "message": "at the register", "errors": []}, {"Retry-After": "1"},
     AdapterBusy, {"retry_after": 1.0}),
    (503, refusal("fn_offline_limit", 0x15), {}, RegisterRefused, {"device_code": 0x15}),
    (503, refusal("kkt_unavailable", None), {}, RegisterRefused, {"device_code": None}),
    (409, refusal("shift_expired", 0x16), {}, RegisterRefused, {"device_code": 0x16}),
    (422, {"error": "validation_error", "message": "total: wrong", "errors": [{"field": "total", "problem": "wrong"}]},
     {}, ReceiptRejected, {"errors": [{"field": "total", "problem": "wrong"}]}),
    (409, {"error": "idempotency_conflict", "message": "another body", "errors": []}, {}, ReceiptRejected, {}),
    (500, {"error": "internal_error", "message": "see its log", "errors": []}, {}, AdapterUnreachable, {}),
    (502, "<html>Bad Gateway</html>", {}, AdapterUnreachable, {}),
    (200, "<html>Odoo</html>", {}, AdapterProtocolError, {}),
    (200, {"status": "fiscalized"}, {}, AdapterProtocolError, {}),
], ids=["buffer-full", "still-fiscalizing", "fn-blocked", "register-down", "shift-expired", "validation",
        "conflict", "adapter-failed", "proxy-page", "not-the-adapter", "no-fiscal-data"])
def test_each_answer_is_its_error_type(status: int, body: object, headers: dict, kind: type[AdapterError],
                                       details: dict) -> None:
    with pytest.raises(kind) as raised:
        client_on(Canned(status, body, headers)).fiscalize(BODY, "pos-order-1")
    assert raised.value.status == status
    assert {name: getattr(raised.value, name) for name in details} == details


@pytest.mark.parametrize("failure", [requests.ConnectionError("refused"), requests.ConnectTimeout("slow connect"),
                                     requests.ReadTimeout("no answer")], ids=["refused", "connect", "read"])
def test_no_answer_is_unreachable(failure: Exception) -> None:
    with pytest.raises(AdapterUnreachable) as raised:
        client_on(Canned(raises=failure)).fiscalize(BODY, "pos-order-1")
    assert raised.value.status is None


def test_the_key_the_token_and_the_exact_amounts_are_sent() -> None:
    transport = Canned(401, {"error": "unauthorized", "message": "Authorization: send it", "errors": []})
    with pytest.raises(ReceiptRejected):
        client_on(transport, token="s3cret").fiscalize(BODY, "pos-order-1")
    (sent,) = transport.sent
    assert (sent.url, sent.headers["X-Idempotency-Key"], sent.headers["Authorization"]) == (
        "http://adapter.test:8000/v1/kkt/receipt", "pos-order-1", "Bearer s3cret")
    assert json.loads(sent.body)["total"] == "100.00"


def test_without_a_token_no_authorization_is_sent() -> None:
    transport = Canned(200, {"status": "healthy", "circuit_breaker": "CLOSED", "failures": 0})
    assert client_on(transport).health().status == "healthy"
    assert "Authorization" not in transport.sent[0].headers


def test_an_unhealthy_adapter_answers_its_health_rather_than_raising() -> None:
    health = client_on(Canned(503, {"status": "unhealthy", "problems": ["buffer unavailable: disk"]})).health()
    assert (health.status, health.problems) == ("unhealthy", ("buffer unavailable: disk",))


@pytest.mark.parametrize("url", ["", "127.0.0.1:8000", "ftp://adapter"])
def test_an_adapter_url_without_http_is_refused_at_once(url: str) -> None:
    with pytest.raises(ValueError):
        AdapterClient(url)
