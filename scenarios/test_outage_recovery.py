"""Offline, then back: with the default timings the queue moves within one OFD probe interval of the OFD's return.

An outage does its worst to the queue: the head receipt waits out a long retry backoff and the circuit
breaker is open. Neither may hold the queue once the OFD answers again. The 2-minute outage runs on a clock
the test steps (the in-process adapter's delivery clocks: real time plus an offset), so it takes seconds;
a shorter outage runs on real time through a real adapter process.
"""

from __future__ import annotations

import time

import pytest

from emulators.netfault import NetfaultProxy
from emulators.ofd import OfdEmulator
from kkt_adapter.settings import Settings
from pytest_opticserp import InProcessKktAdapter, KktAdapter, eventually
from scenarios.conftest import delivered_fiscal_numbers, queue_head

DEFAULT_TIMINGS = {
    name: Settings.model_fields[name].default
    for name in ("sync_interval", "circuit_breaker_threshold", "circuit_breaker_recovery_timeout", "ofd_timeout",
                 "ofd_retry_base", "ofd_retry_max", "ofd_probe_interval", "ofd_max_concurrency")
}

pytestmark = [pytest.mark.offline, pytest.mark.kkt_adapter(**DEFAULT_TIMINGS)]


@pytest.mark.ofd_offline
def test_after_an_outage_with_the_default_timings_the_queue_drains_within_one_probe_interval(
    kkt_adapter: KktAdapter, ofd_emulator, opticserp_scenario, post_receipts, opticserp_report_figure
) -> None:
    answers = post_receipts(235)
    threshold = DEFAULT_TIMINGS["circuit_breaker_threshold"]
    retries = sum(DEFAULT_TIMINGS["ofd_retry_base"] * 2**n for n in range(threshold - 1))  # 1 + 2 + 4 + 8 s
    kkt_adapter.wait_for_breaker("OPEN", timeout=retries + 10)
    attempts, next_attempt_at = queue_head(kkt_adapter)
    # The breaker is open for its 30 s recovery timeout, far longer than the target below, and the head receipt
    # has failed (the breaker's other failures may be health checks made before the receipts arrived).
    assert attempts >= 1 and next_attempt_at > 0, "the head of the queue has failed and waits out a backoff"

    opticserp_scenario.restore()
    started = time.monotonic()
    probe_interval = DEFAULT_TIMINGS["ofd_probe_interval"]
    kkt_adapter.wait_until_synced(235, timeout=probe_interval + 2)
    took = time.monotonic() - started

    opticserp_report_figure(f"outage recovery: 235 receipts delivered {took:.2f} s after the OFD came back, with the "
                            f"breaker open and the head receipt in backoff (default timings, OFD probe interval "
                            f"{probe_interval} s)")
    signed, arrived = [a["fiscal"]["fiscal_doc_number"] for a in answers], delivered_fiscal_numbers(ofd_emulator)
    assert sorted(arrived) == signed, "every receipt arrived once"
    window = DEFAULT_TIMINGS["ofd_max_concurrency"]
    assert max(abs(arrived.index(fd) - position) for position, fd in enumerate(signed)) <= window, "in HLC order"
    assert ofd_emulator.counters.duplicates == 0


class SteppedClock:
    """Real time plus an offset the test moves forward: time flows as usual, and jumps when the test says."""

    def __init__(self) -> None:
        self.offset = 0.0

    def wall(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def test_after_a_two_minute_outage_the_queue_drains_within_one_probe_interval(
    ofd_emulator: OfdEmulator, ofd_network: NetfaultProxy, tmp_path, opticserp_report_figure
) -> None:
    clock = SteppedClock()
    settings = {**DEFAULT_TIMINGS, "ofd_url": ofd_network.url, "odoo_api_url": "", "kkt_print_delay_min_ms": 0,
                "kkt_print_delay_max_ms": 0, "buffer_max_size": 1000}
    adapter = InProcessKktAdapter(tmp_path, settings, wall=clock.wall, monotonic=clock.monotonic).start()
    try:
        ofd_network.disable()  # refused, as a shop's line that went down
        signed = []
        for _second in range(120):  # the shop keeps selling, two receipts a second; each sale wakes the worker
            for _ in range(2):
                answer = adapter.post_receipt()
                assert answer.status_code == 200, answer.text
                signed.append(answer.json()["fiscal"]["fiscal_doc_number"])
            clock.advance(1.0)
        assert adapter.health()["circuit_breaker"] in ("OPEN", "HALF_OPEN"), "the breaker has opened"
        attempts, next_attempt_at = queue_head(adapter)
        probe_interval = DEFAULT_TIMINGS["ofd_probe_interval"]
        held_for = next_attempt_at - clock.wall()
        assert held_for > probe_interval + 2, f"the head of the queue waits out a backoff ({attempts} attempts)"

        ofd_network.enable()
        started = time.monotonic()
        eventually(lambda: adapter.status()["synced_count"] == len(signed), f"{len(signed)} receipts synced",
                   adapter.status, timeout=probe_interval + 2)
        took = time.monotonic() - started
    finally:
        ofd_network.enable()
        adapter.stop()

    opticserp_report_figure(
        f"2-minute outage: {len(signed)} receipts delivered {took:.2f} s after the OFD came back; without the "
        f"OFD seen answering, the head receipt's backoff ({attempts} attempts) would have held the queue "
        f"{held_for:.0f} s more (default timings, OFD probe interval {probe_interval} s)")
    arrived = delivered_fiscal_numbers(ofd_emulator)
    assert sorted(arrived) == signed, "every receipt arrived once"
    assert ofd_emulator.counters.duplicates == 0
