"""Failure scenarios, as markers for a whole test and as context managers inside one.

    @pytest.mark.offline(mode="blackhole")          # the OFD hangs from the start of the test...
    def test_pending_grows(kkt_adapter, scenario):
        ...
        scenario.restore()                            # ...until the test brings it back

    def test_recovery(kkt_adapter, scenario):
        with scenario.offline():                      # refused while inside the block
            kkt_adapter.post_receipt()

The OFD is made unreachable on the wire (through the fault proxy in front of it), not by answering 503, so
the adapter sees what it would see in a shop: refused connections, or a connection that never answers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from emulators.netfault import NetfaultProxy
from emulators.ofd import OfdEmulator
from pytest_opticserp.adapter import TEST_TIMINGS

OFFLINE_MODES = ("refused", "blackhole", "reset")
SCENARIO_MARKERS = {
    "offline": "offline(mode='refused'): the OFD is unreachable for the whole test; mode refused (connections "
    "refused), blackhole (accepted, never answered) or reset (connections reset)",
    "circuit_breaker": "circuit_breaker(failures=None, permanent=False): the OFD answers 503 to the next "
    "`failures` deliveries (default: the adapter's breaker threshold, so it fails until the breaker opens), "
    "or to all of them with permanent=True",
    "ofd_timeout": "ofd_timeout(delay=None): the OFD answers receipts only after `delay` seconds (default: "
    "twice the adapter's OFD_TIMEOUT), so every delivery times out",
}


class Scenarios:
    """Context managers that switch a failure on for the duration of a block."""

    def __init__(self, ofd: OfdEmulator, network: NetfaultProxy, adapter_settings: dict[str, Any]) -> None:
        self.ofd = ofd
        self.network = network
        self._settings = adapter_settings
        self._marked = contextlib.ExitStack()

    def restore(self) -> None:
        """End the scenarios the test's markers switched on (the OFD is back), before the test ends."""
        self._marked.close()

    @contextlib.contextmanager
    def offline(self, mode: str = "refused") -> Iterator[None]:
        if mode not in OFFLINE_MODES:
            raise ValueError(f"offline mode must be one of {', '.join(OFFLINE_MODES)}, got {mode!r}")
        if mode == "refused":
            self.network.disable()
            try:
                yield
            finally:
                self.network.enable()
            return
        with self.network.toxic("blackhole" if mode == "blackhole" else "reset_peer"):
            yield

    @contextlib.contextmanager
    def circuit_breaker(self, failures: int | None = None, permanent: bool = False) -> Iterator[None]:
        if permanent:
            self.ofd.fail_permanently()
        else:
            self.ofd.fail_next(failures if failures is not None else int(self._settings["circuit_breaker_threshold"]))
        try:
            yield
        finally:
            self.ofd.recover()

    @contextlib.contextmanager
    def ofd_timeout(self, delay: float | None = None) -> Iterator[None]:
        self.ofd.delay(delay if delay is not None else 2 * float(self._settings["ofd_timeout"]))
        try:
            yield
        finally:
            self.ofd.delay(0)


@contextlib.contextmanager
def marked_scenarios(item: pytest.Item, scenarios: Scenarios) -> Iterator[None]:
    """Switch on the scenarios `item` is marked with; `scenarios.restore()` or the end of the test ends them."""
    with scenarios._marked:
        _enter_markers(item, scenarios, scenarios._marked)
        yield


def _enter_markers(item: pytest.Item, scenarios: Scenarios, stack: contextlib.ExitStack) -> None:
    for name in SCENARIO_MARKERS:
        marker = item.get_closest_marker(name)
        if marker is None:
            continue
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{name} takes keyword arguments only, got {marker.args!r}")
        try:
            stack.enter_context(getattr(scenarios, name)(**marker.kwargs))
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(f"@pytest.mark.{name}: {exc}") from None


def adapter_settings_for(item: pytest.Item) -> dict[str, Any]:
    from pytest_opticserp.factories.adapter import adapter_options

    return {**TEST_TIMINGS, **adapter_options(item)}
