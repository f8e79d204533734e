"""Phase 2 against the real OFD emulator over sockets: delivery, breaker, retries, DLQ, timeouts, order."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from emulators.netfault import NetfaultProxy
from emulators.ofd import OfdEmulator
from tests.support import RunningAdapter, eventually, seed_receipt


@pytest.fixture
def proxy(ofd: OfdEmulator) -> Iterator[NetfaultProxy]:
    """The network between the adapter and the OFD, where outages are made real."""
    with NetfaultProxy(f"{ofd.host}:{ofd.port}") as network:
        yield network


def synced(adapter: RunningAdapter, count: int) -> None:
    eventually(lambda: adapter.status()["synced_count"] == count and adapter.status()["pending_count"] == 0,
               f"{count} receipt(s) synced and none pending", adapter.status)


def test_a_receipt_reaches_the_ofd_right_after_the_post(adapter: RunningAdapter, ofd: OfdEmulator) -> None:
    fiscal = adapter.post_receipt().json()["fiscal"]

    synced(adapter, 1)
    (document,) = ofd.wait_for(1)
    sent = document.document
    assert (sent["fn_serial"], sent["fiscal_doc_number"], sent["fiscal_sign"]) == (
        fiscal["fn_serial"], fiscal["fiscal_doc_number"], fiscal["fiscal_sign"])
    assert sent["total"] == 500000 and sent["payments"] == {"cash": 0, "electronic": 500000}
    assert sent["items"][0]["vat"] == 1 and sent["items"][0]["sum"] == 500000
    assert adapter.status()["network_status"] == "ONLINE"


def test_the_2026_rate_is_sent_with_its_configured_tag(start_adapter, ofd: OfdEmulator) -> None:
    adapter = start_adapter(vat_tag_overrides={"22": 11})
    items = [{"name": "Оправа", "quantity": 1, "price": "100.00", "tax_rate": 22}]
    adapter.post_receipt(seed_receipt(items=items, total="100.00"))
    assert ofd.wait_for(1)[0].document["items"][0]["vat"] == 11


def test_offline_receipts_wait_and_go_within_one_sync_interval_of_recovery(
    start_adapter, proxy: NetfaultProxy, ofd: OfdEmulator
) -> None:
    proxy.disable()
    adapter = start_adapter(ofd_url=proxy.url, sync_interval=1.0)
    for i in range(3):
        assert adapter.post_receipt(key=f"offline-{i}").status_code == 200
    eventually(lambda: adapter.status()["network_status"] == "OFFLINE", "the adapter to notice the outage",
               adapter.status)
    assert adapter.status()["pending_count"] == 3

    proxy.enable()

    one_interval = adapter.settings.sync_interval + adapter.settings.circuit_breaker_recovery_timeout
    eventually(lambda: adapter.status()["pending_count"] == 0, "delivery within one sync interval",
               adapter.status, timeout=one_interval + 0.5)
    assert adapter.status()["network_status"] == "ONLINE"
    assert ofd.counters.accepted == 3


def test_a_blackholed_ofd_times_out_and_the_receipts_wait(start_adapter, proxy: NetfaultProxy,
                                                          ofd: OfdEmulator) -> None:
    adapter = start_adapter(ofd_url=proxy.url, ofd_timeout=0.3)
    with proxy.toxic("blackhole"):
        adapter.post_receipt()
        eventually(lambda: adapter.status()["failed_count"] == 1, "a timed-out attempt", adapter.status)
        assert adapter.status()["network_status"] == "OFFLINE"
        assert adapter.health()["last_sync"]["errors"] or adapter.status()["pending_count"] == 1
    synced(adapter, 1)
    assert ofd.counters.accepted == 1


def test_the_breaker_opens_at_the_threshold_and_makes_no_calls_while_open(start_adapter,
                                                                         ofd: OfdEmulator) -> None:
    ofd.fail_next(5)
    adapter = start_adapter(circuit_breaker_threshold=3, circuit_breaker_recovery_timeout=1.5)
    for i in range(5):
        adapter.post_receipt(key=f"sale-{i}")
    eventually(lambda: adapter.health()["circuit_breaker"] == "OPEN", "the breaker to open",
               lambda: (adapter.health(), ofd.counters))
    # Calls already in flight when the third failure landed may still fail (OFD_MAX_CONCURRENCY); wait for
    # them, then every call the OFD saw is a failure the breaker counted.
    eventually(lambda: adapter.health()["failures"] == ofd.counters.calls, "in-flight calls to be answered",
               lambda: (adapter.health()["failures"], ofd.counters))
    health = adapter.health()
    calls_when_opened = ofd.counters.calls
    assert 3 <= health["failures"] <= 3 + adapter.settings.ofd_max_concurrency - 1
    assert health["status"] == "degraded" and health["circuit_breaker"] == "OPEN"

    # With the OFD recovered, the trial call after the recovery timeout succeeds and the breaker never
    # returns to OPEN; so a call counted while it still reads OPEN was made while it was open.
    ofd.recover()
    while True:
        seen = ofd.counters.calls
        state = adapter.health()["circuit_breaker"]
        if state != "OPEN":
            break  # still open after the count was read: the count was taken while it was open
        assert seen == calls_when_opened, "the adapter called the OFD while the breaker was open"
    assert state in ("HALF_OPEN", "CLOSED")


def test_the_breaker_closes_after_recovery_and_everything_arrives_once(start_adapter, ofd: OfdEmulator) -> None:
    ofd.fail_next(5)
    adapter = start_adapter(circuit_breaker_threshold=3, circuit_breaker_recovery_timeout=0.5)
    for i in range(5):
        adapter.post_receipt(key=f"sale-{i}")
    eventually(lambda: adapter.health()["circuit_breaker"] == "OPEN", "the breaker to open", adapter.health)

    ofd.recover()

    eventually(lambda: adapter.health()["circuit_breaker"] == "CLOSED", "the breaker to close", adapter.health)
    synced(adapter, 5)
    assert ofd.counters.accepted == 5 and ofd.counters.duplicates == 0


def test_an_ofd_answering_errors_makes_the_network_degraded(start_adapter, ofd: OfdEmulator) -> None:
    ofd.fail_permanently()
    adapter = start_adapter()
    adapter.post_receipt()
    eventually(lambda: adapter.status()["network_status"] == "DEGRADED", "DEGRADED", adapter.status)


def test_a_slow_ofd_past_the_timeout_leaves_the_receipt_pending_and_never_duplicated(
    start_adapter, ofd: OfdEmulator
) -> None:
    ofd.delay(1.0)
    adapter = start_adapter(ofd_timeout=0.3)
    adapter.post_receipt()
    eventually(lambda: adapter.status()["failed_count"] == 1, "the first attempt to time out", adapter.status)
    assert adapter.status()["pending_count"] == 1

    ofd.delay(0)

    synced(adapter, 1)
    eventually(lambda: ofd.counters.calls >= 2, "the late answer and the retry")
    assert ofd.receipts_received == 1
    assert len(ofd.received()) == 1


def test_retries_go_to_the_dlq_after_the_last_attempt_and_come_back_when_redriven(
    start_adapter, ofd: OfdEmulator
) -> None:
    ofd.fail_permanently()
    adapter = start_adapter(ofd_max_attempts=2)
    adapter.post_receipt()
    eventually(lambda: adapter.status()["dlq_count"] == 1, "the receipt to reach the DLQ", adapter.status)
    (entry,) = adapter.client.get("/v1/kkt/dlq").json()["entries"]
    assert entry["attempts"] == 2 and "gave up after 2 attempts" in entry["reason"]
    with sqlite3.connect(adapter.settings.buffer_db_path) as db:
        assert len(db.execute("SELECT * FROM dlq").fetchall()) == 1

    ofd.recover()
    assert adapter.client.post(f"/v1/kkt/dlq/{entry['id']}/redrive").json() == {"redriven": 1}

    synced(adapter, 1)
    assert adapter.client.get("/v1/kkt/dlq").json()["count"] == 0
    assert ofd.receipts_received == 1


def test_a_document_the_ofd_rejects_goes_to_the_dlq_at_once_with_its_reason(start_adapter, ofd: OfdEmulator,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ofd.state, "vat_codes", {code: rate for code, rate in ofd.state.vat_codes.items() if code != 1})
    adapter = start_adapter()  # a 20% sale, tag 1199 code 1, which this OFD does not take
    adapter.post_receipt()
    eventually(lambda: adapter.status()["dlq_count"] == 1, "the rejected receipt in the DLQ", adapter.status)
    (entry,) = adapter.client.get("/v1/kkt/dlq").json()["entries"]
    assert entry["attempts"] == 1 and "rejected" in entry["reason"]
    assert adapter.health()["circuit_breaker"] == "CLOSED"

    resolved = adapter.client.post(f"/v1/kkt/dlq/{entry['id']}/resolve", json={"note": "refunded by hand"})
    assert resolved.status_code == 200
    assert adapter.client.get("/v1/kkt/dlq").json()["count"] == 0
    assert adapter.client.get("/v1/kkt/dlq", params={"include_resolved": True}).json()["count"] == 1
    assert adapter.client.post(f"/v1/kkt/dlq/{entry['id']}/redrive").status_code == 404


def test_redrive_all_requeues_every_unresolved_entry(start_adapter, ofd: OfdEmulator) -> None:
    ofd.fail_permanently()
    adapter = start_adapter(ofd_max_attempts=1)
    for i in range(3):
        adapter.post_receipt(key=f"k{i}")
    eventually(lambda: adapter.status()["dlq_count"] == 3, "three receipts in the DLQ", adapter.status)
    ofd.recover()
    assert adapter.client.post("/v1/kkt/dlq/redrive").json() == {"redriven": 3}
    synced(adapter, 3)


def test_sync_now_reports_what_it_did(offline_adapter: RunningAdapter) -> None:
    offline_adapter.post_receipt()
    answer = offline_adapter.client.post("/v1/kkt/buffer/sync").json()
    assert set(answer["report"]) >= {"attempted", "synced", "retrying", "dead_lettered", "stopped_by", "errors"}
    assert answer["buffer"]["pending_count"] == 1


def test_sync_now_delivers_at_once(start_adapter, proxy: NetfaultProxy, ofd: OfdEmulator) -> None:
    adapter = start_adapter(ofd_url=proxy.url, sync_interval=3600)
    with proxy.toxic("down"):
        adapter.post_receipt()
        eventually(lambda: adapter.status()["failed_count"] == 1, "a refused attempt", adapter.status)
    eventually(lambda: adapter.client.post("/v1/kkt/buffer/sync").json()["buffer"]["synced_count"] == 1,
               "a forced sync to deliver")


def test_delivery_follows_the_hlc_when_the_clock_steps_back(start_adapter, ofd: OfdEmulator,
                                                            refused_url: str) -> None:
    now = [1_763_700_000_000]
    adapter = start_adapter(wall_ms=lambda: now[0], ofd_url=refused_url)
    keys = []
    for step in (0, -60_000, -3_600_000, 10):
        now[0] += step
        keys.append(adapter.post_receipt(key=f"t{len(keys)}").json()["fiscal"]["fiscal_doc_number"])
    with sqlite3.connect(adapter.settings.buffer_db_path) as db:
        rows = db.execute("SELECT hlc, created_at FROM receipts ORDER BY rowid").fetchall()
    hlcs, created = [row[0] for row in rows], [row[1] for row in rows]
    assert hlcs == sorted(hlcs) and len(set(hlcs)) == 4
    assert created != sorted(created), "created_at is read from the clock the test stepped back"
    adapter.client.close()
    adapter.server.stop()

    now[0] -= 86_400_000  # and again, across a restart
    again = start_adapter(wall_ms=lambda: now[0], ofd_url=ofd.url)
    keys.append(again.post_receipt(key="after-restart").json()["fiscal"]["fiscal_doc_number"])
    synced(again, 5)
    assert [d.document["fiscal_doc_number"] for d in ofd.received()] == keys


def test_heartbeats_reach_the_odoo_api_with_the_adapters_state(adapter: RunningAdapter, odoo_api) -> None:
    odoo_api.wait_for(2)
    beat = odoo_api.last_heartbeat("kkt-adapter-1").payload
    assert beat["circuit_breaker"] == "CLOSED"
    assert {"pending_count", "synced_count"} <= set(beat["buffer"])
    assert adapter.health()["heartbeat"]["sent"] >= 2


def test_an_odoo_api_that_is_down_changes_nothing_for_receipts(start_adapter, odoo_api) -> None:
    odoo_api.fail_permanently()
    adapter = start_adapter()
    eventually(lambda: adapter.health()["heartbeat"]["failed"] >= 2, "failing heartbeats", adapter.health)
    assert adapter.post_receipt().status_code == 200
    synced(adapter, 1)
    assert adapter.health()["status"] == "healthy"


def test_metrics_are_exported_for_prometheus(adapter: RunningAdapter) -> None:
    adapter.post_receipt()
    synced(adapter, 1)
    text = adapter.client.get("/metrics").text
    for name in ("kkt_receipts{status=\"synced\"} 1.0", "kkt_buffer_pending 0.0", "kkt_dlq_size 0.0",
                 "kkt_receipts_fiscalized_total 1.0", "kkt_ofd_request_seconds_count", "kkt_circuit_breaker_state 0.0",
                 "kkt_ofd_delivery_lag_seconds_count 1.0", 'kkt_ofd_delivered_total{result="accepted"} 1.0',
                 "kkt_heartbeats_total", "kkt_receipt_request_seconds_count 1.0"):
        assert name in text, name


def test_the_in_process_ofd_mode_needs_no_server(start_adapter, refused_url: str) -> None:
    adapter = start_adapter(ofd_mode="mock", ofd_url=refused_url)
    adapter.post_receipt()
    synced(adapter, 1)
    assert adapter.status()["network_status"] == "ONLINE"


def test_a_hanging_ofd_never_holds_up_the_receipt_endpoint(start_adapter, proxy: NetfaultProxy) -> None:
    adapter = start_adapter(ofd_url=proxy.url, ofd_timeout=60)
    with proxy.toxic("blackhole"):
        for i in range(5):
            response = adapter.client.post("/v1/kkt/receipt", json=seed_receipt(),
                                           headers={"X-Idempotency-Key": f"k{i}"}, timeout=5)
            assert response.status_code == 200
        assert adapter.status()["pending_count"] == 5


def test_retry_attempts_are_kept_across_a_restart(start_adapter, ofd: OfdEmulator) -> None:
    ofd.fail_permanently()
    first = start_adapter(ofd_max_attempts=3, circuit_breaker_threshold=100)
    first.post_receipt()
    eventually(lambda: ofd.counters.failed_injected >= 2, "two failed attempts")
    first.client.close()
    first.server.stop()
    with sqlite3.connect(first.settings.buffer_db_path) as db:
        (attempts,) = db.execute("SELECT attempts FROM receipts").fetchone()
    assert attempts >= 2

    second = start_adapter(ofd_max_attempts=3, circuit_breaker_threshold=100)
    eventually(lambda: second.status()["dlq_count"] == 1, "the third attempt to give up", second.status)
    assert ofd.counters.failed_injected == 3
    assert second.client.get("/v1/kkt/dlq").json()["entries"][0]["attempts"] == 3
