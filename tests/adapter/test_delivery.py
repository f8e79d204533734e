"""Phase 2 against the real OFD emulator over sockets: delivery, outages, sync now, HLC order, heartbeats.

The breaker, DLQ and OFD-timeout behaviours are black-box scenarios: `scenarios/test_circuit_breaker.py`,
`scenarios/test_dlq.py`, `scenarios/test_ofd_timeout.py`.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator

import pytest

from emulators.netfault import NetfaultProxy
from emulators.ofd import OfdEmulator
from kkt_adapter import __version__
from pytest_opticserp import InProcessKktAdapter, KktAdapter, eventually, factories


@pytest.fixture
def proxy(ofd_emulator: OfdEmulator) -> Iterator[NetfaultProxy]:
    """The network between the adapter and the OFD, where outages are made real."""
    with NetfaultProxy(f"{ofd_emulator.host}:{ofd_emulator.port}") as network:
        yield network


kkt_adapter_via_proxy = factories.kkt_adapter_app(ofd_url_fixture="proxy")


@contextlib.contextmanager
def ofd_log() -> Iterator[list[str]]:
    """The lines the in-process OFD emulator logs at INFO meanwhile (its server shows warnings only)."""
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("uvicorn.error")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_the_ofd_log_names_each_document_and_the_adapter_process_that_sent_it(kkt_adapter: KktAdapter) -> None:
    with ofd_log() as lines:
        fiscal = kkt_adapter.post_receipt().json()["fiscal"]
        kkt_adapter.wait_until_synced(1)

    sender = re.escape(f"opticserp-kkt-adapter/{__version__} (") + r"[\w.-]+" + re.escape(f"; pid {kkt_adapter.pid})")
    line = f"FD {fiscal['fiscal_doc_number']} of FN {fiscal['fn_serial']} from {sender}: 200, accepted"
    assert any(re.fullmatch(line, logged) for logged in lines), lines


def test_a_receipt_reaches_the_ofd_right_after_the_post(kkt_adapter_app: InProcessKktAdapter,
                                                        ofd_emulator: OfdEmulator) -> None:
    fiscal = kkt_adapter_app.post_receipt().json()["fiscal"]

    kkt_adapter_app.wait_until_synced(1)
    (document,) = ofd_emulator.wait_for(1)
    sent = document.document
    assert (sent["fn_serial"], sent["fiscal_doc_number"], sent["fiscal_sign"]) == (
        fiscal["fn_serial"], fiscal["fiscal_doc_number"], fiscal["fiscal_sign"])
    assert sent["total"] == 500000 and sent["payments"] == {"cash": 0, "electronic": 500000}
    assert sent["items"][0]["vat"] == 1 and sent["items"][0]["sum"] == 500000
    assert kkt_adapter_app.status()["network_status"] == "ONLINE"


@pytest.mark.kkt_adapter(vat_tag_overrides={"22": 11})
def test_the_2026_rate_is_sent_with_its_configured_tag(kkt_adapter_app: InProcessKktAdapter,
                                                       ofd_emulator: OfdEmulator) -> None:
    kkt_adapter_app.post_receipt(kkt_adapter_app.receipts.sale(price="100.00", tax_rate=22))
    assert ofd_emulator.wait_for(1)[0].document["items"][0]["vat"] == 11


@pytest.mark.kkt_adapter(sync_interval=1.0)
def test_offline_receipts_wait_and_go_within_one_sync_interval_of_recovery(
    kkt_adapter_via_proxy: InProcessKktAdapter, proxy: NetfaultProxy, ofd_emulator: OfdEmulator
) -> None:
    adapter = kkt_adapter_via_proxy
    proxy.disable()
    for i in range(3):
        assert adapter.post_receipt(key=f"offline-{i}").status_code == 200
    adapter.wait_for_network("OFFLINE")
    assert adapter.status()["pending_count"] == 3

    proxy.enable()

    one_interval = adapter.config.sync_interval + adapter.config.circuit_breaker_recovery_timeout
    eventually(lambda: adapter.status()["pending_count"] == 0, "delivery within one sync interval",
               adapter.status, timeout=one_interval + 0.5)
    assert adapter.status()["network_status"] == "ONLINE"
    assert ofd_emulator.receipts_received == 3


@pytest.mark.kkt_adapter(ofd_timeout=0.3)
def test_a_blackholed_ofd_times_out_and_the_receipts_wait(kkt_adapter_via_proxy: InProcessKktAdapter,
                                                          proxy: NetfaultProxy, ofd_emulator: OfdEmulator) -> None:
    adapter = kkt_adapter_via_proxy
    with proxy.toxic("blackhole"):
        adapter.post_receipt()
        eventually(lambda: adapter.status()["documents_failed"] == 1, "a timed-out attempt", adapter.status)
        status = adapter.status()
        assert (status["network_status"], status["pending_count"], status["synced_count"]) == ("OFFLINE", 1, 0)
        ((error,),) = adapter.query("SELECT last_error FROM fn_documents WHERE last_error IS NOT NULL")
        assert "did not answer within 0.3s" in error
    adapter.wait_until_synced(1)
    assert ofd_emulator.receipts_received == 1


def test_an_ofd_answering_errors_makes_the_network_degraded(kkt_adapter_app: InProcessKktAdapter,
                                                            ofd_emulator: OfdEmulator) -> None:
    ofd_emulator.fail_permanently()
    kkt_adapter_app.post_receipt()
    kkt_adapter_app.wait_for_network("DEGRADED")


def test_sync_now_reports_what_it_did(kkt_adapter_offline: InProcessKktAdapter) -> None:
    kkt_adapter_offline.post_receipt()
    answer = kkt_adapter_offline.sync_now()
    assert set(answer["report"]) >= {"attempted", "synced", "retrying", "dead_lettered", "stopped_by", "errors"}
    assert answer["buffer"]["pending_count"] == 1


@pytest.mark.kkt_adapter(sync_interval=3600)
def test_sync_now_delivers_at_once(kkt_adapter_via_proxy: InProcessKktAdapter, proxy: NetfaultProxy) -> None:
    adapter = kkt_adapter_via_proxy
    with proxy.toxic("down"):
        adapter.post_receipt()
        eventually(lambda: adapter.status()["documents_failed"] == 1, "a refused attempt", adapter.status)
    eventually(lambda: adapter.sync_now()["buffer"]["synced_count"] == 1, "a forced sync to deliver")


# One delivery at a time: in parallel, a receipt may overtake by less than the window (tested in the offline
# scenarios), and on a busy machine it did; here the order itself is the point.
@pytest.mark.kkt_adapter(ofd_max_concurrency=1)
def test_delivery_follows_the_hlc_when_the_clock_steps_back(kkt_adapter_offline: InProcessKktAdapter,
                                                            ofd_emulator: OfdEmulator) -> None:
    adapter = kkt_adapter_offline
    now = [1_763_700_000_000]
    adapter.wall_ms = lambda: now[0]
    adapter.restart()  # from its first moment on, the app reads the test's clock
    keys = []
    for step in (0, -60_000, -3_600_000, 10):
        now[0] += step
        keys.append(adapter.post_receipt(key=f"t{len(keys)}").json()["fiscal"]["fiscal_doc_number"])
    rows = adapter.query("SELECT hlc, created_at FROM receipts ORDER BY rowid")
    hlcs, created = [row[0] for row in rows], [row[1] for row in rows]
    assert hlcs == sorted(hlcs) and len(set(hlcs)) == 4
    assert created != sorted(created), "created_at is read from the clock the test stepped back"

    now[0] -= 86_400_000  # and again, across a restart, now with the OFD reachable
    adapter.restart(ofd_url=ofd_emulator.url)
    keys.append(adapter.post_receipt(key="after-restart").json()["fiscal"]["fiscal_doc_number"])
    adapter.wait_until_synced(5)
    assert [d.document["fiscal_doc_number"] for d in ofd_emulator.receipts()] == keys


@pytest.mark.kkt_adapter(heartbeat_interval=0.5)
def test_heartbeats_reach_the_odoo_api_with_the_adapters_state(kkt_adapter_app: InProcessKktAdapter,
                                                               odoo_api_emulator) -> None:
    odoo_api_emulator.wait_for(2)
    beat = odoo_api_emulator.last_heartbeat("kkt-adapter-1").payload
    assert beat["circuit_breaker"] == "CLOSED"
    assert {"pending_count", "synced_count"} <= set(beat["buffer"])
    assert kkt_adapter_app.health()["heartbeat"]["sent"] >= 2


@pytest.mark.kkt_adapter(heartbeat_interval=0.5)
def test_an_odoo_api_that_is_down_changes_nothing_for_receipts(kkt_adapter_app: InProcessKktAdapter,
                                                               odoo_api_emulator) -> None:
    odoo_api_emulator.fail_permanently()
    eventually(lambda: kkt_adapter_app.health()["heartbeat"]["failed"] >= 2, "failing heartbeats",
               kkt_adapter_app.health)
    assert kkt_adapter_app.post_receipt().status_code == 200
    kkt_adapter_app.wait_until_synced(1)
    assert kkt_adapter_app.health()["status"] == "healthy"


def test_metrics_are_exported_for_prometheus(kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt_adapter_app.post_receipt()
    kkt_adapter_app.wait_until_synced(1)
    eventually(lambda: kkt_adapter_app.status()["documents_pending"] == 0, "the registration and shift delivered")
    text = kkt_adapter_app.client.get("/metrics").text
    # Delivery metrics count every document at the OFD: registration, open shift, the receipt.
    for name in ("kkt_receipts{status=\"synced\"} 1.0", "kkt_buffer_pending 0.0", "kkt_dlq_size 0.0",
                 "kkt_receipts_fiscalized_total 1.0", "kkt_ofd_request_seconds_count", "kkt_circuit_breaker_state 0.0",
                 "kkt_ofd_delivery_lag_seconds_count 3.0", 'kkt_ofd_delivered_total{result="accepted"} 3.0',
                 "kkt_heartbeats_total", "kkt_receipt_request_seconds_count 1.0"):
        assert name in text, name


@pytest.mark.kkt_adapter(ofd_mode="mock")
def test_the_in_process_ofd_mode_needs_no_server(kkt_adapter_offline: InProcessKktAdapter) -> None:
    kkt_adapter_offline.post_receipt()
    kkt_adapter_offline.wait_until_synced(1)
    assert kkt_adapter_offline.status()["network_status"] == "ONLINE"


@pytest.mark.kkt_adapter(ofd_max_attempts=3, circuit_breaker_threshold=100, ofd_retry_base=1.0, ofd_retry_max=1.0)
def test_retry_attempts_are_kept_across_a_restart(kkt_adapter_app: InProcessKktAdapter,
                                                  ofd_emulator: OfdEmulator) -> None:
    kkt_adapter_app.post_receipt()  # the shift it opens reaches the OFD with it: the next receipt is first in line
    kkt_adapter_app.wait_until_synced(1)
    eventually(lambda: kkt_adapter_app.status()["documents_pending"] == 0, "the shift document delivered")
    ofd_emulator.fail_permanently()
    kkt_adapter_app.post_receipt()

    def attempts() -> int:
        rows = kkt_adapter_app.query("SELECT attempts FROM receipts WHERE status = 'pending'")
        return rows[0][0] if rows else 0

    # The adapter's own record, not the OFD's count: a stop may land after the OFD answered and before the
    # adapter read the answer, and an attempt whose outcome the adapter never learnt is not counted.
    eventually(lambda: attempts() >= 2, "two failed attempts recorded in the buffer", attempts)
    kkt_adapter_app.stop()
    assert attempts() == ofd_emulator.counters.failed_injected == 2

    kkt_adapter_app.start()
    eventually(lambda: kkt_adapter_app.status()["dlq_count"] == 1, "the third attempt to give up",
               kkt_adapter_app.status)
    assert ofd_emulator.counters.failed_injected == 3
    assert kkt_adapter_app.dlq()[0]["attempts"] == 3
