"""`opticserp load`'s verdicts against a no-op run, judged on figures given here rather than measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from opticserp_tools.load.locust_run import RECEIPT_ENDPOINT, EndpointStats, LocustRun
from opticserp_tools.load.options import LoadOptions
from opticserp_tools.load.report import checks


def run(rps: float, p95: float | None) -> LocustRun:
    row = EndpointStats(name=RECEIPT_ENDPOINT, requests=100, failures=0, rps=rps, p50=p95, p95=p95, p99=p95,
                        average=1.0, maximum=1.0)
    return LocustRun(label="x", url="http://127.0.0.1:1", endpoints=(row,), aggregated=row, csv_prefix=Path("x"),
                     html=Path("x.html"), log=Path("x.log"), exit_code=0, cpu_percent={})


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
