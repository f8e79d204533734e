"""The POS's shift calls: open, sales, X report, Z report, each once per idempotency key."""

from __future__ import annotations

import sqlite3

import pytest

from pytest_opticserp import InProcessKktAdapter

CASHIER = {"name": "Иванова А. П., кассир", "inn": "500100732259"}


def test_the_shift_state_says_whether_a_shift_is_open_and_since_when(kkt_adapter_app: InProcessKktAdapter) -> None:
    assert kkt_adapter_app.shift()["shift_open"] is False
    opened = kkt_adapter_app.shift_call("open").json()
    state = kkt_adapter_app.shift()
    assert state["shift_open"] is True and state["shift_number"] == opened["shift_number"]
    assert state["shift_opened_at"] == opened["document"]["datetime"]
    assert state["shift_expired"] is False


def test_a_retried_close_returns_the_same_z_report_and_signs_nothing_more(
        kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt_adapter_app.post_receipt()
    first = kkt_adapter_app.shift_call("close", key="z-1")
    last_document = kkt_adapter_app.health()["kkt"]["last_fiscal_doc_number"]
    again = kkt_adapter_app.shift_call("close", key="z-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert kkt_adapter_app.health()["kkt"]["last_fiscal_doc_number"] == last_document


def test_a_retried_open_returns_the_same_document_not_a_refusal(kkt_adapter_app: InProcessKktAdapter) -> None:
    first = kkt_adapter_app.shift_call("open", {"cashier": CASHIER}, key="open-1")
    again = kkt_adapter_app.shift_call("open", {"cashier": CASHIER}, key="open-1")
    assert again.status_code == 200 and again.json() == first.json()


def test_a_retried_open_survives_a_restart(kkt_adapter_app: InProcessKktAdapter) -> None:
    first = kkt_adapter_app.shift_call("open", key="open-2")
    kkt_adapter_app.restart()
    again = kkt_adapter_app.shift_call("open", key="open-2")
    assert again.status_code == 200 and again.json() == first.json()


def test_a_call_a_crash_interrupted_is_asked_of_the_register_again_on_retry(
        kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt_adapter_app.stop()
    with sqlite3.connect(kkt_adapter_app.buffer_path) as buffer:  # as a kill while the register was opening
        buffer.execute("INSERT INTO operations (idempotency_key, kind, request_hash, status, created_at, updated_at)"
                       " VALUES ('open-crash', 'open_shift', 'h', 'running', '', '')")
    kkt_adapter_app.start()
    retried = kkt_adapter_app.shift_call("open", key="open-crash")
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers
    assert kkt_adapter_app.shift()["shift_open"] is True


def test_one_key_for_two_different_calls_is_a_conflict(kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt_adapter_app.shift_call("open", key="shared")
    close = kkt_adapter_app.shift_call("close", key="shared")
    other_cashier = kkt_adapter_app.shift_call("open", {"cashier": CASHIER}, key="shared")
    assert close.status_code == other_cashier.status_code == 409
    assert close.json()["error"] == other_cashier.json()["error"] == "idempotency_conflict"
    assert kkt_adapter_app.shift()["shift_open"] is True


def test_shift_calls_need_an_idempotency_key(kkt_adapter_app: InProcessKktAdapter) -> None:
    response = kkt_adapter_app.client.post("/v1/kkt/shift/open")
    assert response.status_code == 400 and response.json()["error"] == "missing_idempotency_key"
    assert kkt_adapter_app.shift()["shift_open"] is False


@pytest.mark.parametrize(("body", "field"), [
    ({"cashier": {"name": ""}}, "cashier.name"),
    ({"cashier": {"name": "A", "inn": "123456789012"}}, "cashier.inn"),
    ({"cashier": {"name": "A"}, "till": 1}, "till"),
])
def test_a_bad_cashier_is_refused_naming_the_field(kkt_adapter_app: InProcessKktAdapter, body, field) -> None:
    response = kkt_adapter_app.shift_call("open", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert kkt_adapter_app.shift()["shift_open"] is False


@pytest.mark.parametrize(("call", "code", "device_code"), [
    ("close", "shift_closed", 0x3D),
    ("x-report", "shift_closed", 0x3D),
])
def test_a_call_without_an_open_shift_is_refused_with_409_and_the_device_code(
        kkt_adapter_app: InProcessKktAdapter, call: str, code: str, device_code: int) -> None:
    response = kkt_adapter_app.shift_call(call)
    assert response.status_code == 409
    assert (response.json()["error"], response.json()["device_code"]) == (code, device_code)
    assert "no shift is open" in response.json()["message"]


def test_opening_an_open_shift_is_refused_and_the_refused_key_is_free_again(
        kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt_adapter_app.shift_call("open")
    refused = kkt_adapter_app.shift_call("open", key="second-open")
    kkt_adapter_app.shift_call("close")
    retried = kkt_adapter_app.shift_call("open", key="second-open")
    assert refused.status_code == 409
    assert (refused.json()["error"], refused.json()["device_code"]) == ("shift_already_open", 0x73)
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers


@pytest.mark.kkt_adapter(kkt_auto_open_shift=False)
def test_without_auto_open_a_sale_needs_the_pos_to_open_the_shift(kkt_adapter_app: InProcessKktAdapter) -> None:
    refused = kkt_adapter_app.post_receipt()
    kkt_adapter_app.shift_call("open")
    sold = kkt_adapter_app.post_receipt()
    assert refused.status_code == 409
    assert (refused.json()["error"], refused.json()["device_code"]) == ("shift_closed", 0x3D)
    assert sold.status_code == 200
    assert kkt_adapter_app.accepted() == 1


def test_the_openapi_document_describes_the_shift_calls_their_refusals_and_the_device_code(
        kkt_adapter_app: InProcessKktAdapter) -> None:
    schema = kkt_adapter_app.client.get("/openapi.json").json()
    for action in ("open", "close", "x-report"):
        operation = schema["paths"][f"/v1/kkt/shift/{action}"]["post"]
        assert {"X-Idempotency-Key", "Idempotency-Key"} <= {p["name"] for p in operation["parameters"]}
        assert {"200", "400", "409", "422", "503"} <= set(operation["responses"])
        assert "fn_offline_limit" in operation["responses"]["503"]["description"]
    assert "shift_already_open" in schema["paths"]["/v1/kkt/shift/open"]["post"]["responses"]["409"]["description"]
    assert "shift_expired" in schema["paths"]["/v1/kkt/receipt"]["post"]["responses"]["409"]["description"]
    assert "cashier" in schema["components"]["schemas"]["ShiftCallIn"]["properties"]
    assert "device_code" in schema["components"]["schemas"]["ErrorBody"]["properties"]
    assert "200" in schema["paths"]["/v1/kkt/shift"]["get"]["responses"]
