"""Heartbeat: the Odoo API hears from the adapter; an Odoo API that is down changes nothing for receipts."""

from __future__ import annotations

import pytest

from pytest_opticserp import KktAdapter, eventually

pytestmark = [pytest.mark.heartbeat, pytest.mark.kkt_adapter(heartbeat_interval=0.5)]


def test_the_odoo_api_receives_the_adapters_state(kkt_adapter: KktAdapter, odoo_api_emulator, post_receipts) -> None:
    post_receipts(2)
    kkt_adapter.wait_until_synced(2)
    eventually(lambda: (odoo_api_emulator.last_heartbeat("kkt-adapter-1") or None) and
               odoo_api_emulator.last_heartbeat("kkt-adapter-1").payload["buffer"]["synced_count"] == 2,
               "a heartbeat showing both receipts synced", odoo_api_emulator.heartbeats)
    beat = odoo_api_emulator.last_heartbeat("kkt-adapter-1").payload
    assert (beat["status"], beat["circuit_breaker"], beat["network_status"]) == ("healthy", "CLOSED", "ONLINE")


def test_an_odoo_api_that_is_down_changes_nothing_for_receipts(kkt_adapter: KktAdapter, odoo_api_emulator,
                                                               post_receipts) -> None:
    odoo_api_emulator.fail_permanently()
    eventually(lambda: kkt_adapter.health()["heartbeat"]["failed"] >= 2, "failing heartbeats", kkt_adapter.health)
    post_receipts(5)
    kkt_adapter.wait_until_synced(5)
    assert kkt_adapter.health()["status"] == "healthy"
    odoo_api_emulator.recover()
    eventually(lambda: kkt_adapter.health()["heartbeat"]["last_error"] is None, "heartbeats to succeed again",
               kkt_adapter.health)
