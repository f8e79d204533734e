"""`opticserp load`'s verdicts against a no-op run, judged on figures given here rather than measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from opticserp_tools.load.locust_run import RECEIPT_ENDPOINT, EndpointStats, LocustRun
from opticserp_tools.load.options import LoadOptions
from opticserp_tools.load.report import checks, cpu_budget


def run(rps: float, p95: float | None, requests: int = 100, cpu_seconds: dict[str, float] | None = None) -> LocustRun:
    row = EndpointStats(name=RECEIPT_ENDPOINT, requests=requests, failures=0, rps=rps, p50=p95, p95=p95, p99=p95,
                        average=1.0, maximum=1.0)
    return LocustRun(label="x", url="http://127.0.0.1:1", endpoints=(row,), aggregated=row, csv_prefix=Path("x"),
                     html=Path("x.html"), log=Path("x.log"), exit_code=0, cpu_percent={},
                     cpu_seconds=cpu_seconds or {})


def verdicts(adapter: LocustRun, noop: LocustRun, **options: object) -> dict[str, bool]:
    found = checks(LoadOptions(compare_noop=True, **options), adapter, noop)
    return {check.name: check.met for check in found if "no-op" in check.name}


def test_against_the_durable_no_op_the_targets_are_issue_17s_half_the_throughput_and_twice_the_p95() -> None:
    assert verdicts(run(500, 10), run(1000, 5), noop_durable=True) == {
        "throughput >= 0.5 of the durable no-op FastAPI app's": True, "P95 <= 2x the durable no-op FastAPI app's": True}
    assert verdicts(run(499, 11), run(1000, 5), noop_durable=True) == {
        "throughput >= 0.5 of the durable no-op FastAPI app's": False,
        "P95 <= 2x the durable no-op FastAPI app's": False}


def test_against_the_plain_no_op_only_the_throughput_is_judged_at_issue_8s_ratio() -> None:
    assert verdicts(run(700, 50), run(1000, 5)) == {"throughput >= 0.7 of the no-op FastAPI app's": True}
    assert verdicts(run(699, 5), run(1000, 5)) == {"throughput >= 0.7 of the no-op FastAPI app's": False}


def test_targets_given_replace_the_defaults() -> None:
    assert verdicts(run(100, 30), run(1000, 5), noop_durable=True, min_noop_ratio=0.1, max_noop_p95_factor=6) == {
        "throughput >= 0.1 of the durable no-op FastAPI app's": True, "P95 <= 6x the durable no-op FastAPI app's": True}


@pytest.mark.parametrize(("noop_p95", "adapter_p95", "met"), [(0, 2, True), (0, 3, False)])
def test_a_no_op_p95_locust_rounded_to_0_counts_as_1_ms(noop_p95: float, adapter_p95: float, met: bool) -> None:
    """Twice 0 ms would be a target no server meets."""
    assert verdicts(run(1000, adapter_p95), run(1000, noop_p95), noop_durable=True)[
        "P95 <= 2x the durable no-op FastAPI app's"] is met


def test_an_adapter_that_answered_nothing_misses_the_p95_target() -> None:
    assert verdicts(run(0, None), run(1000, 5), noop_durable=True)["P95 <= 2x the durable no-op FastAPI app's"] is False


# 10,000 receipts: the adapter used 1.8 ms of CPU each, the OFD emulator 0.5 ms, Locust 0.3 ms.
MEASURED = {"adapter": 18.0, "ofd": 5.0, "locust": 3.0}


def test_the_budget_is_what_the_ofd_emulator_and_locust_leave_at_the_target_rate_one_core_at_most() -> None:
    """At 1,000 receipts/s (half of the no-op's 2,000) the others take 0.8 core of 2: 1.2 is left, but one
    interpreter lock runs on one core, so the adapter may spend 1 ms per receipt."""
    line = cpu_budget(LoadOptions(compare_noop=True, noop_durable=True), run(500, 10, 10_000, MEASURED),
                      run(2000, 5), cores=2)
    assert line == ("cpu budget at the target rate (1000.0 receipts/s): the OFD emulator and Locust would take 0.80 "
                    "of the 2 cores, leaving the adapter 1.20 (at most 1 under its one interpreter lock): 1.00 ms per "
                    "receipt; it used 1.80 ms")


def test_on_one_core_the_budget_is_what_is_left_of_it_and_never_below_nothing() -> None:
    options = LoadOptions(compare_noop=True, noop_durable=True)
    assert "leaving the adapter 0.20 (at most 1 under its one interpreter lock): 0.20 ms per receipt" in str(
        cpu_budget(options, run(500, 10, 10_000, MEASURED), run(2000, 5), cores=1))
    assert "leaving the adapter 0.00 (at most 1 under its one interpreter lock): 0.00 ms per receipt" in str(
        cpu_budget(options, run(500, 10, 10_000, MEASURED), run(4000, 5), cores=1))


def test_no_budget_without_a_no_op_to_compare_or_without_the_ofd_emulators_cpu() -> None:
    options = LoadOptions(compare_noop=True, noop_durable=True)
    assert cpu_budget(options, run(500, 10, 10_000, MEASURED), None, cores=2) is None
    against_a_running_adapter = {"adapter": 18.0, "locust": 3.0}
    assert cpu_budget(options, run(500, 10, 10_000, against_a_running_adapter), run(2000, 5), cores=2) is None
    assert cpu_budget(options, run(0, None, 0, MEASURED), run(2000, 5), cores=2) is None
