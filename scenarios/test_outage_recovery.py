"""Offline, then back: with the default timings the queue moves within one OFD probe interval of the OFD's return.

The outage runs through the real failure path until it has done its worst to the queue: the head receipt
waiting out a retry backoff and the circuit breaker open for its full recovery timeout. Neither may hold the
queue once the OFD answers again. (A 2-minute outage, stepped on a test clock, is in
tests/unit/test_outage_recovery.py.)
"""

from __future__ import annotations

import time

import pytest

from kkt_adapter.settings import Settings
from pytest_opticserp import KktAdapter
from scenarios.conftest import delivered_fiscal_numbers

DEFAULT_TIMINGS = {
    name: Settings.model_fields[name].default
    for name in ("sync_interval", "circuit_breaker_threshold", "circuit_breaker_recovery_timeout", "ofd_timeout",
                 "ofd_retry_base", "ofd_retry_max", "ofd_probe_interval", "ofd_max_concurrency")
}

pytestmark = [pytest.mark.offline, pytest.mark.kkt_adapter(**DEFAULT_TIMINGS)]


def test_after_an_outage_with_the_default_timings_the_queue_drains_within_one_probe_interval(
    kkt_adapter: KktAdapter, ofd, scenario, post_receipts, report_figure
) -> None:
    answers = post_receipts(235)
    threshold = DEFAULT_TIMINGS["circuit_breaker_threshold"]
    retries = sum(DEFAULT_TIMINGS["ofd_retry_base"] * 2**n for n in range(threshold - 1))  # 1 + 2 + 4 + 8 s
    kkt_adapter.wait_for_breaker("OPEN", timeout=retries + 10)
    (attempts, next_attempt_at), = kkt_adapter.query("SELECT attempts, next_attempt_at FROM receipts ORDER BY hlc"
                                                     " LIMIT 1")
    # (the health check at start-up, with the queue still empty, may have been the breaker's first failure)
    assert attempts >= threshold - 1 and next_attempt_at - time.time() > 2, "the head receipt waits out a backoff"

    scenario.restore()
    started = time.monotonic()
    probe_interval = DEFAULT_TIMINGS["ofd_probe_interval"]
    kkt_adapter.wait_until_synced(235, timeout=probe_interval + 2)
    took = time.monotonic() - started

    report_figure(f"outage recovery: 235 receipts delivered {took:.2f} s after the OFD came back, with the breaker "
                  f"open and the head receipt in backoff (default timings, OFD probe interval {probe_interval} s)")
    signed, arrived = [a["fiscal"]["fiscal_doc_number"] for a in answers], delivered_fiscal_numbers(ofd)
    assert sorted(arrived) == signed, "every receipt arrived once"
    window = DEFAULT_TIMINGS["ofd_max_concurrency"]
    assert max(abs(arrived.index(fd) - position) for position, fd in enumerate(signed)) <= window, "in HLC order"
    assert ofd.counters.duplicates == 0
