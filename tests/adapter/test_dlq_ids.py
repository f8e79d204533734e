"""A DLQ id the buffer cannot hold (SQLite rowids end at 2^63-1) is refused as input, never a 500."""

from __future__ import annotations

import pytest

from pytest_opticserp import InProcessKktAdapter


@pytest.mark.parametrize("action", ["resolve", "redrive"])
@pytest.mark.parametrize("entry_id", ["32589158477190044729", str(2**63), "0", "-1", "9" * 5000])
def test_an_id_out_of_range_is_a_422_naming_the_id(kkt_adapter_app: InProcessKktAdapter, action, entry_id) -> None:
    response = kkt_adapter_app.client.post(f"/v1/kkt/dlq/{entry_id}/{action}")

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert [e["field"] for e in response.json()["errors"]] == ["entry_id"]


@pytest.mark.parametrize("action", ["resolve", "redrive"])
def test_the_largest_id_is_looked_up_and_not_found(kkt_adapter_app: InProcessKktAdapter, action) -> None:
    response = kkt_adapter_app.client.post(f"/v1/kkt/dlq/{2**63 - 1}/{action}")

    assert response.status_code == 404
    assert response.json()["error"] == "dlq_entry_not_found"


def test_the_openapi_document_lists_what_a_dlq_action_answers(kkt_adapter_app: InProcessKktAdapter) -> None:
    schema = kkt_adapter_app.client.get("/openapi.json").json()

    for action in ("resolve", "redrive"):
        operation = schema["paths"][f"/v1/kkt/dlq/{{entry_id}}/{action}"]["post"]
        assert {"404", "422"} <= set(operation["responses"])
        assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"}
        (entry_id,) = operation["parameters"]
        assert (entry_id["schema"]["minimum"], entry_id["schema"]["maximum"]) == (1, 2**63 - 1)
