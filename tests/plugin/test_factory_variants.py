"""Adapters, OFDs and scenarios built with the factories are as capable as the plugin's default fixtures."""

from __future__ import annotations

import pytest

VARIANTS = '''
import pytest
from pytest_opticserp import eventually, factories

second_ofd_server = factories.ofd_server()
second_ofd = factories.ofd("second_ofd_server")
second_network = factories.fault_proxy("second_ofd")
quick_adapter = factories.kkt_adapter(ofd_url_fixture="second_network", ofd_timeout=0.4, circuit_breaker_threshold=2)
quick_scenario = factories.scenario("quick_adapter")


@pytest.mark.ofd_slow
def test_the_marker_delays_the_variants_ofd_by_twice_its_own_timeout(quick_adapter, second_ofd, ofd_emulator):
    assert (second_ofd.state.faults.delay, ofd_emulator.state.faults.delay) == (0.8, 0)
    quick_adapter.post_receipt()
    # Whatever is first in line times out: the receipt, or the FN's registration or shift report before it
    # (the delay may be armed before the adapter's start-up delivery of the registration report is done).
    eventually(lambda: (s := quick_adapter.status())["failed_count"] + s["documents_failed"] >= 1,
               "a timed-out delivery", quick_adapter.status)
    errors = quick_adapter.query("SELECT last_error FROM receipts UNION ALL SELECT last_error FROM fn_documents")
    assert [error for (error,) in errors if error and "did not answer within 0.4s" in error], errors


def test_the_scenario_fails_the_variants_ofd_up_to_its_own_threshold(quick_adapter, quick_scenario, second_ofd,
                                                                     ofd_emulator):
    with quick_scenario.ofd_failing():
        quick_adapter.post_receipt()
        quick_adapter.wait_for_breaker("OPEN")
    quick_adapter.wait_until_synced(1)
    assert second_ofd.counters.failed_injected == 2 and second_ofd.receipts_received == 1
    assert ofd_emulator.counters.calls == 0


def test_a_failing_test_shows_the_variants_log(quick_adapter):
    quick_adapter.post_receipt()
    assert False, "the receipt went astray"
'''


def test_scenarios_and_logs_follow_an_adapter_made_by_the_factory(pytester: pytest.Pytester,
                                                                  inner_args: list[str]) -> None:
    pytester.makepyfile(VARIANTS)

    result = pytester.runpytest_subprocess(*inner_args)

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*quick_adapter log (last 30 lines, *)*", "*receipt fiscalized*"])
