"""Circuit breaker: it opens at the threshold, calls nothing while open, tries once, and closes."""

from __future__ import annotations

import pytest

from pytest_opticserp import KktAdapter, eventually

pytestmark = [pytest.mark.circuit_breaker, pytest.mark.kkt_adapter(ofd_max_concurrency=1)]


@pytest.mark.ofd_failing
def test_the_breaker_opens_after_threshold_failures(kkt_adapter: KktAdapter, ofd_emulator, post_receipts) -> None:
    post_receipts(1)
    health = kkt_adapter.wait_for_breaker("OPEN")
    assert health["failures"] == kkt_adapter.settings["circuit_breaker_threshold"] == ofd_emulator.counters.calls
    assert health["status"] == "degraded"


@pytest.mark.ofd_failing
@pytest.mark.kkt_adapter(circuit_breaker_recovery_timeout=2)
def test_no_call_reaches_the_ofd_while_the_breaker_is_open(kkt_adapter: KktAdapter, ofd_emulator,
                                                           post_receipts) -> None:
    post_receipts(3)
    kkt_adapter.wait_for_breaker("OPEN")
    calls = ofd_emulator.counters.calls
    posted_while_open = 0
    while True:
        post_receipts(1)
        seen = ofd_emulator.counters.calls
        if kkt_adapter.health()["circuit_breaker"] != "OPEN":
            break  # still open after the count was read: the count was taken while it was open
        assert seen == calls, "a call was made while the breaker was open"
        posted_while_open += 1
    assert posted_while_open >= 1, "the breaker closed before a receipt was posted while it was open: nothing checked"


@pytest.mark.ofd_failing
def test_after_the_recovery_timeout_one_trial_closes_it_and_everything_goes(kkt_adapter: KktAdapter, ofd_emulator,
                                                                          post_receipts) -> None:
    post_receipts(5)
    kkt_adapter.wait_for_breaker("OPEN")
    kkt_adapter.wait_for_breaker("CLOSED")
    kkt_adapter.wait_until_synced(5)
    assert ofd_emulator.counters.failed_injected == 3 and ofd_emulator.receipts_received == 5
    assert ofd_emulator.counters.duplicates == 0


@pytest.mark.ofd_failing(permanent=True)
def test_a_failed_trial_opens_it_again(kkt_adapter: KktAdapter, ofd_emulator, post_receipts) -> None:
    post_receipts(1)
    kkt_adapter.wait_for_breaker("OPEN")
    calls = ofd_emulator.counters.calls
    eventually(lambda: ofd_emulator.counters.calls == calls + 1, "one trial call after the recovery timeout",
               ofd_emulator.counters)
    kkt_adapter.wait_for_breaker("OPEN")
    assert kkt_adapter.status()["pending_count"] == 1


def test_a_flapping_ofd_loses_and_duplicates_nothing(kkt_adapter: KktAdapter, ofd_emulator, opticserp_scenario,
                                                     post_receipts) -> None:
    # The FN's registration report leaves at start-up: cut off in flight, it would be re-sent (a duplicate) by design.
    eventually(lambda: kkt_adapter.status()["documents_pending"] == 0, "the registration report delivered",
               kkt_adapter.status)
    answers = []
    for _ in range(4):
        with opticserp_scenario.ofd_offline():
            answers += post_receipts(3)
            kkt_adapter.wait_for_network("OFFLINE")
        answers += post_receipts(2)
        kkt_adapter.wait_until_synced(len(answers), timeout=10)
    assert sorted(d.document["fiscal_doc_number"] for d in ofd_emulator.receipts()) == sorted(
        a["fiscal"]["fiscal_doc_number"] for a in answers)
    assert ofd_emulator.counters.duplicates == 0


@pytest.mark.ofd_failing(failures=5)
@pytest.mark.opticserp_emulators(assert_all_failures_used=False)  # enough for every call in flight; some go unused
@pytest.mark.kkt_adapter(ofd_max_concurrency=8, circuit_breaker_recovery_timeout=1.5)
def test_with_parallel_deliveries_every_failure_the_ofd_saw_is_counted_and_it_opens(
    kkt_adapter: KktAdapter, ofd_emulator, post_receipts
) -> None:
    post_receipts(5)
    kkt_adapter.wait_for_breaker("OPEN")
    # Calls already in flight when the threshold was reached may still fail; once they are answered, every call
    # the OFD saw is a failure the breaker counted, and no more than the parallel window overshot the threshold.
    eventually(lambda: kkt_adapter.health()["failures"] == ofd_emulator.counters.calls,
               "the calls in flight to be answered and counted", lambda: (kkt_adapter.health(), ofd_emulator.counters))
    health = kkt_adapter.health()
    threshold, window = (kkt_adapter.settings[name] for name in ("circuit_breaker_threshold", "ofd_max_concurrency"))
    assert threshold <= health["failures"] <= threshold + window - 1
    assert health["status"] == "degraded" and health["circuit_breaker"] == "OPEN"
