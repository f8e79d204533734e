"""Circuit breaker: it opens at the threshold, calls nothing while open, tries once, and closes."""

from __future__ import annotations

import pytest

from pytest_opticserp import KktAdapter, eventually

pytestmark = [pytest.mark.circuit_breaker, pytest.mark.kkt_adapter(ofd_max_concurrency=1)]


def test_the_breaker_opens_after_threshold_failures(kkt_adapter: KktAdapter, ofd, post_receipts) -> None:
    post_receipts(1)
    health = kkt_adapter.wait_for_breaker("OPEN")
    assert health["failures"] == kkt_adapter.settings["circuit_breaker_threshold"] == ofd.counters.calls
    assert health["status"] == "degraded"


@pytest.mark.kkt_adapter(circuit_breaker_recovery_timeout=2)
def test_no_call_reaches_the_ofd_while_the_breaker_is_open(kkt_adapter: KktAdapter, ofd, post_receipts) -> None:
    post_receipts(3)
    kkt_adapter.wait_for_breaker("OPEN")
    calls = ofd.counters.calls
    while True:
        post_receipts(1)
        seen = ofd.counters.calls
        if kkt_adapter.health()["circuit_breaker"] != "OPEN":
            break  # still open after the count was read: the count was taken while it was open
        assert seen == calls, "a call was made while the breaker was open"


def test_after_the_recovery_timeout_one_trial_closes_it_and_everything_goes(kkt_adapter: KktAdapter, ofd,
                                                                          post_receipts) -> None:
    post_receipts(5)
    kkt_adapter.wait_for_breaker("OPEN")
    kkt_adapter.wait_for_breaker("CLOSED")
    kkt_adapter.wait_until_synced(5)
    assert ofd.counters.failed_injected == 3 and ofd.receipts_received == 5 and ofd.counters.duplicates == 0


@pytest.mark.circuit_breaker(permanent=True)
def test_a_failed_trial_opens_it_again(kkt_adapter: KktAdapter, ofd, post_receipts) -> None:
    post_receipts(1)
    kkt_adapter.wait_for_breaker("OPEN")
    calls = ofd.counters.calls
    eventually(lambda: ofd.counters.calls == calls + 1, "one trial call after the recovery timeout", ofd.counters)
    kkt_adapter.wait_for_breaker("OPEN")
    assert kkt_adapter.status()["pending_count"] == 1


def test_a_flapping_ofd_loses_and_duplicates_nothing(kkt_adapter: KktAdapter, ofd, scenario, post_receipts) -> None:
    scenario.restore()
    answers = []
    for _ in range(4):
        with scenario.offline():
            answers += post_receipts(3)
            kkt_adapter.wait_for_network("OFFLINE")
        answers += post_receipts(2)
        kkt_adapter.wait_until_synced(len(answers), timeout=10)
    assert sorted(d.document["fiscal_doc_number"] for d in ofd.received()) == sorted(
        a["fiscal"]["fiscal_doc_number"] for a in answers)
    assert ofd.counters.duplicates == 0
