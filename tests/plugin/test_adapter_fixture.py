"""The plugin's adapter, emulator and scenario fixtures, used as a test author would."""

from __future__ import annotations

import psutil
import pytest

from pytest_opticserp import KktAdapter, ReceiptFactory, ServerHandle, ServiceHandle, eventually


def test_the_adapter_is_a_real_process_wired_to_the_ofd(kkt_adapter: KktAdapter, ofd_emulator) -> None:
    assert psutil.Process(kkt_adapter.pid).is_running()
    response = kkt_adapter.post_receipt()
    assert response.status_code == 200
    kkt_adapter.wait_until_synced(1)
    assert ofd_emulator.wait_for(1)[0].document["fiscal_doc_number"] == response.json()["fiscal"]["fiscal_doc_number"]


def test_the_adapter_reports_heartbeats_and_uses_redis(kkt_adapter: KktAdapter, odoo_api_emulator) -> None:
    """The lock says "local" until the sync worker's first run has tried Redis ("not tried yet"), and the first
    heartbeat may arrive before that run: wait for the run, not for the heartbeat's order."""
    odoo_api_emulator.wait_for(1)
    eventually(lambda: kkt_adapter.health()["sync_lock"]["backend"] == "redis", "the adapter to sync under the Redis "
               "lock", lambda: kkt_adapter.health()["sync_lock"])


@pytest.mark.kkt_adapter(buffer_max_size=2, redis=False)
def test_the_marker_sets_the_adapters_settings(kkt_adapter: KktAdapter) -> None:
    assert kkt_adapter.status()["capacity"] == 2
    assert kkt_adapter.health()["sync_lock"]["redis"] == "not configured"


def test_receipts_from_the_factory_are_all_accepted(kkt_adapter: KktAdapter,
                                                    fiscal_receipt_factory: ReceiptFactory) -> None:
    factory = fiscal_receipt_factory
    bodies = [factory(), factory.sale(price="1200.50", quantity="0.5"),
              factory.refund(price="300.00"), factory.split(cash="1000.00", card="4000.00"),
              factory.with_rates(22, 20, 10, 7, 5, 0, "22/122", "20/120", "10/110", "7/107", "5/105", "none")]
    answers = [kkt_adapter.post_receipt(body) for body in bodies]
    assert [a.status_code for a in answers] == [200] * len(bodies), [a.text for a in answers]
    assert answers[2].json()["fiscal"]["operation"] == 2


def test_a_killed_adapter_restarts_on_the_same_buffer(kkt_adapter: KktAdapter) -> None:
    first = kkt_adapter.post_receipt(key="before-kill").json()
    old_pid = kkt_adapter.pid
    kkt_adapter.restart(kill=True)
    assert kkt_adapter.pid != old_pid and not psutil.pid_exists(old_pid)
    again = kkt_adapter.post_receipt(key="before-kill").json()
    assert again == first
    assert kkt_adapter.post_receipt().json()["fiscal"]["fiscal_doc_number"] > first["fiscal"]["fiscal_doc_number"]


def test_scenarios_work_as_context_managers_inside_a_test(kkt_adapter: KktAdapter, opticserp_scenario,
                                                          ofd_emulator) -> None:
    with opticserp_scenario.ofd_offline():
        kkt_adapter.post_receipt()
        kkt_adapter.wait_for_network("OFFLINE")
    kkt_adapter.wait_until_synced(1, timeout=5)
    assert kkt_adapter.status()["network_status"] == "ONLINE"
    assert ofd_emulator.receipts_received == 1


def test_every_server_fixture_yields_a_server_handle(kkt_adapter: KktAdapter, ofd_emulator, odoo_api_emulator,
                                                      ofd_network, opticserp_redis_proc,
                                                      opticserp_postgresql_proc) -> None:
    handles = [kkt_adapter, ofd_emulator, odoo_api_emulator, ofd_network, opticserp_redis_proc,
               opticserp_postgresql_proc]
    assert [handle for handle in handles if not isinstance(handle, ServerHandle)] == []
    assert isinstance(opticserp_redis_proc, ServiceHandle) and isinstance(opticserp_postgresql_proc, ServiceHandle)
