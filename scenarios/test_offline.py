"""Offline: the OFD cannot be reached; receipts keep being fiscalized and go out once it is back."""

from __future__ import annotations

import time

import pytest

from pytest_opticserp import KktAdapter, Scenarios, eventually
from scenarios.conftest import assert_every_document_at_ofd, delivered_fiscal_numbers

pytestmark = [pytest.mark.offline, pytest.mark.kkt_adapter(sync_interval=2, circuit_breaker_recovery_timeout=1)]


def recover_within_one_interval(kkt_adapter: KktAdapter, scenario: Scenarios, count: int) -> float:
    """End the outage the test's `ofd_offline` marker began; the seconds until `count` receipts are synced."""
    scenario.restore()
    started = time.monotonic()
    kkt_adapter.wait_until_synced(count, timeout=kkt_adapter.settings["sync_interval"] + 3)
    return time.monotonic() - started


@pytest.mark.parametrize("mode", ["refused", "blackhole"])
def test_receipts_are_fiscalized_and_wait_while_the_ofd_is_unreachable(kkt_adapter: KktAdapter, ofd_emulator,
                                                                       opticserp_scenario, post_receipts,
                                                                       mode) -> None:
    with opticserp_scenario.ofd_offline(mode=mode):
        answers = post_receipts(5)
        kkt_adapter.wait_for_network("OFFLINE", timeout=kkt_adapter.settings["ofd_timeout"] + 5)
        status = kkt_adapter.status()
        assert (status["pending_count"], status["synced_count"]) == (5, 0)
        assert all(answer["fiscal"]["fiscal_sign"] for answer in answers)
        assert ofd_emulator.receipts_received == 0


@pytest.mark.ofd_offline
@pytest.mark.kkt_adapter(ofd_max_concurrency=1)
def test_back_online_every_receipt_arrives_once_in_hlc_order_within_one_interval(
    kkt_adapter: KktAdapter, ofd_emulator, opticserp_scenario, post_receipts, opticserp_report_figure
) -> None:
    answers = post_receipts(20)
    kkt_adapter.wait_for_network("OFFLINE")

    took = recover_within_one_interval(kkt_adapter, opticserp_scenario, 20)

    opticserp_report_figure(f"offline recovery: 20 receipts delivered {took:.2f} s after the OFD came back "
                  f"(sync interval {kkt_adapter.settings['sync_interval']} s)")
    signed = [answer["fiscal"]["fiscal_doc_number"] for answer in answers]
    assert delivered_fiscal_numbers(ofd_emulator) == signed
    assert ofd_emulator.counters.duplicates == 0
    assert kkt_adapter.status()["network_status"] == "ONLINE"
    assert_every_document_at_ofd(ofd_emulator, kkt_adapter)


@pytest.mark.ofd_offline
def test_with_parallel_delivery_no_receipt_overtakes_by_more_than_the_window(
    kkt_adapter: KktAdapter, ofd_emulator, opticserp_scenario, post_receipts
) -> None:
    signed = [answer["fiscal"]["fiscal_doc_number"] for answer in post_receipts(40)]
    recover_within_one_interval(kkt_adapter, opticserp_scenario, 40)
    window = kkt_adapter.setting("ofd_max_concurrency")
    assert window > 1, "the test needs deliveries in parallel"
    arrived = delivered_fiscal_numbers(ofd_emulator)
    assert sorted(arrived) == signed
    assert max(abs(arrived.index(fd) - position) for position, fd in enumerate(signed)) < window


@pytest.mark.ofd_offline
@pytest.mark.kkt_adapter(buffer_max_size=1000)
def test_a_long_outage_with_hundreds_of_receipts_loses_none(kkt_adapter: KktAdapter, ofd_emulator, opticserp_scenario,
                                                            post_receipts, opticserp_report_figure) -> None:
    answers = post_receipts(300)
    assert kkt_adapter.status()["pending_count"] == 300

    took = recover_within_one_interval(kkt_adapter, opticserp_scenario, 300)

    opticserp_report_figure(f"offline recovery: 300 receipts delivered {took:.2f} s after the OFD came back")
    assert sorted(delivered_fiscal_numbers(ofd_emulator)) == sorted(a["fiscal"]["fiscal_doc_number"] for a in answers)
    assert ofd_emulator.counters.duplicates == 0
    assert_every_document_at_ofd(ofd_emulator, kkt_adapter)


@pytest.mark.ofd_offline
def test_failed_attempts_are_recorded_while_offline(kkt_adapter: KktAdapter, post_receipts) -> None:
    post_receipts(1)
    # The FN's registration report is first in line: its attempt fails, and the receipt waits behind it.
    eventually(lambda: kkt_adapter.status()["documents_failed"] == 1, "a failed attempt", kkt_adapter.status)
    (error,) = kkt_adapter.query("SELECT last_error FROM fn_documents WHERE last_error IS NOT NULL")[0]
    assert "cannot connect to the OFD" in error
