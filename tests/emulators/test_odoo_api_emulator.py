"""The Odoo API emulator: heartbeats stored per adapter, validated, with the OFD's kind of failure injection."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from emulators.odoo_api import OdooApiEmulator
from pytest_opticserp import http_client


def heartbeat(**overrides: Any) -> dict[str, Any]:
    return {
        "adapter_id": "kkt-adapter-001",
        "timestamp": "2026-11-21T10:15:00+03:00",
        "status": "healthy",
        "buffer": {"pending_count": 0, "synced_count": 1},
        "circuit_breaker": "CLOSED",
        "network_status": "ONLINE",
        "version": "0.1.0",
        **overrides,
    }


def test_an_accepted_heartbeat_is_answered_ok_with_the_time_received(odoo_client: httpx.Client) -> None:
    response = odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat())

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["received_at"]


def test_health_counts_every_heartbeat_received(odoo_client: httpx.Client) -> None:
    for _ in range(3):
        odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat())

    assert odoo_client.get("/api/v1/health").json() == {"status": "healthy", "heartbeats_received": 3}


def test_only_the_last_heartbeat_of_each_adapter_is_kept(odoo_api: OdooApiEmulator, odoo_client: httpx.Client) -> None:
    odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat(status="healthy"))
    odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat(status="degraded"))
    odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat(adapter_id="kkt-adapter-002"))

    assert set(odoo_api.heartbeats()) == {"kkt-adapter-001", "kkt-adapter-002"}
    last = odoo_api.last_heartbeat("kkt-adapter-001")
    assert last is not None and last.payload["status"] == "degraded"
    assert odoo_api.last_heartbeat("unknown") is None


def test_the_admin_listing_shows_the_last_heartbeat_per_adapter_and_the_total(odoo_client: httpx.Client) -> None:
    odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat(status="healthy"))
    odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat(status="unhealthy"))

    listing = odoo_client.get("/api/v1/admin/heartbeats").json()

    assert listing["heartbeats_received"] == 2
    assert listing["adapters"]["kkt-adapter-001"]["payload"]["status"] == "unhealthy"
    assert odoo_client.get("/api/v1/admin/heartbeats", params={"adapter_id": "other"}).json()["adapters"] == {}


def test_only_adapter_id_and_timestamp_are_required_and_extra_fields_are_kept(
    odoo_api: OdooApiEmulator, odoo_client: httpx.Client
) -> None:
    body = {"adapter_id": "a", "timestamp": "2026-11-21T10:15:00Z", "hlc": "1732180500000.0"}

    assert odoo_client.post("/api/v1/kkt/heartbeat", json=body).status_code == 200
    assert odoo_api.last_heartbeat("a").payload == body  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"adapter_id": None}, "adapter_id"),
        ({"adapter_id": ""}, "adapter_id"),
        ({"adapter_id": "x" * 65}, "adapter_id"),
        ({"adapter_id": 7}, "adapter_id"),
        ({"timestamp": None}, "timestamp"),
        ({"timestamp": "half past ten"}, "timestamp"),
        ({"status": "fine"}, "status"),
        ({"circuit_breaker": "BROKEN"}, "circuit_breaker"),
        ({"buffer": "empty"}, "buffer"),
        ({"version": 1}, "version"),
    ],
)
def test_an_invalid_heartbeat_is_refused_naming_the_field(
    odoo_api: OdooApiEmulator, odoo_client: httpx.Client, change, field
) -> None:
    body = {k: v for k, v in heartbeat(**change).items() if v is not None}

    response = odoo_client.post("/api/v1/kkt/heartbeat", json=body)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert odoo_api.heartbeats_received == 0


@pytest.mark.parametrize("body", [b"not json", b"[]"])
def test_a_body_that_is_not_a_json_object_is_refused(odoo_client: httpx.Client, body) -> None:
    response = odoo_client.post("/api/v1/kkt/heartbeat", content=body)

    assert response.status_code == 400
    assert response.json()["field"] == "body"


def test_fail_next_fails_exactly_n_heartbeats(odoo_api: OdooApiEmulator, odoo_client: httpx.Client) -> None:
    odoo_api.fail_next(2)

    codes = [odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat()).status_code for _ in range(3)]

    assert codes == [503, 503, 200]
    assert odoo_api.heartbeats_received == 1


def test_permanent_failure_over_http_lasts_until_set_success(odoo_client: httpx.Client) -> None:
    odoo_client.post("/api/v1/admin/set-failure", content=b'{"permanent_failure": true}')
    failed = [odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat()).status_code for _ in range(5)]

    odoo_client.post("/api/v1/admin/set-success")

    assert failed == [503] * 5
    assert odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat()).status_code == 200


def test_a_delay_holds_each_heartbeat_answer(odoo_api: OdooApiEmulator, odoo_client: httpx.Client) -> None:
    odoo_client.post("/api/v1/admin/set-delay", json={"delay": 0.3})

    started = time.monotonic()
    odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat())

    assert time.monotonic() - started >= 0.3


def test_a_bad_set_failure_body_is_refused_naming_the_field(odoo_client: httpx.Client) -> None:
    response = odoo_client.post("/api/v1/admin/set-failure", json={"failure_count": -2})

    assert response.status_code == 422
    assert response.json()["field"] == "failure_count"


def test_stats_count_calls_by_outcome(odoo_api: OdooApiEmulator, odoo_client: httpx.Client) -> None:
    odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat())
    odoo_client.post("/api/v1/kkt/heartbeat", json={})
    odoo_api.fail_next(1)
    odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat())

    stats = odoo_client.get("/api/v1/admin/stats").json()

    assert {k: stats[k] for k in ("calls", "accepted", "rejected", "failed_injected")} == {
        "calls": 3, "accepted": 1, "rejected": 1, "failed_injected": 1,
    }  # fmt: skip


def test_reset_forgets_heartbeats(odoo_api: OdooApiEmulator, odoo_client: httpx.Client) -> None:
    odoo_client.post("/api/v1/kkt/heartbeat", json=heartbeat())

    odoo_client.post("/api/v1/admin/reset")

    assert odoo_client.get("/api/v1/health").json() == {"status": "healthy", "heartbeats_received": 0}
    assert odoo_api.heartbeats() == {}


def test_wait_for_returns_when_the_adapter_reported(odoo_api: OdooApiEmulator) -> None:
    sender = threading.Thread(target=lambda: http_client.post(f"{odoo_api.url}/api/v1/kkt/heartbeat", json=heartbeat()))
    sender.start()
    try:
        odoo_api.wait_for(1, timeout=10, adapter_id="kkt-adapter-001")
    finally:
        sender.join()

    assert odoo_api.heartbeats_received == 1


def test_wait_for_times_out_with_a_message_naming_the_adapter(odoo_api: OdooApiEmulator) -> None:
    with pytest.raises(TimeoutError, match=r"expected 1 heartbeat\(s\) including one from 'kkt-9' within 0.1s, got 0"):
        odoo_api.wait_for(1, timeout=0.1, adapter_id="kkt-9")


def test_env_variables_arm_failures_at_start() -> None:
    with OdooApiEmulator.from_env({"MOCK_ODOO_FAILURE_MODE": "count", "MOCK_ODOO_FAILURE_COUNT": "1"}) as odoo:
        first = http_client.post(f"{odoo.url}/api/v1/kkt/heartbeat", json=heartbeat())

    assert first.status_code == 503


def test_a_delay_beyond_ten_minutes_is_refused_saying_the_bound(
    odoo_api: OdooApiEmulator, odoo_client: httpx.Client
) -> None:
    response = odoo_client.post("/api/v1/admin/set-delay", json={"delay": 1e30})

    assert response.status_code == 422
    assert response.json()["field"] == "delay" and "between 0 and 600 seconds" in response.json()["message"]
    assert odoo_api.state.faults.delay == 0
