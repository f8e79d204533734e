"""GET /v1/health and the buffer status carry the seed guide's fields."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_opticserp import InProcessKktAdapter, eventually


def test_health_has_the_guides_fields(kkt_adapter_app: InProcessKktAdapter) -> None:
    health = kkt_adapter_app.client.get("/v1/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "healthy"
    assert body["circuit_breaker"] == "CLOSED"
    assert body["failures"] == 0
    assert body["kkt"]["mode"] == "mock"


@pytest.mark.kkt_adapter(buffer_max_size=4)
def test_buffer_status_has_the_guides_fields_and_capacity(kkt_adapter_offline) -> None:
    kkt_adapter_offline.post_receipt()
    status = kkt_adapter_offline.status()
    assert status["pending_count"] == 1 and status["synced_count"] == 0
    assert status["network_status"] in {"UNKNOWN", "OFFLINE"}
    assert (status["capacity"], status["percent_full"]) == (4, 25.0)
    # The FN's registration report is first in line: its refused delivery counts; the receipt waits behind it.
    eventually(lambda: kkt_adapter_offline.status()["documents_failed"] == 1, "the refused delivery to count",
               kkt_adapter_offline.status)
    status = kkt_adapter_offline.status()
    assert (status["failed_count"], status["dlq_count"], status["documents_pending"]) == (0, 0, 2)


class BrokenRegister:
    """A register whose status cannot be read, as when its port is gone."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def fiscalize(self, request: Any, ext_id: str) -> Any:
        raise OSError("no device")

    async def find(self, ext_id: str) -> None:
        return None

    async def status(self) -> dict[str, Any]:
        raise OSError("serial port closed")


def test_an_unusable_register_makes_health_unhealthy_with_503(kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt_adapter_app.driver = BrokenRegister()
    kkt_adapter_app.restart()
    health = kkt_adapter_app.client.get("/v1/health")
    receipt = kkt_adapter_app.client.post("/v1/kkt/receipt", headers={"X-Idempotency-Key": "k"},
                                          json={"pos_id": "P", "items": [{"name": "a", "quantity": 1, "price": 1,
                                                                          "tax_rate": 22}],
                                                "total": 1, "payment_method": "cash"})
    status = kkt_adapter_app.status()
    assert health.status_code == 503
    assert health.json()["status"] == "unhealthy"
    assert "register unavailable: serial port closed" in health.json()["problems"]
    assert receipt.status_code == 503 and receipt.json()["error"] == "kkt_unavailable"
    assert status["fiscalizing_count"] == 0 and status["pending_count"] == 0
