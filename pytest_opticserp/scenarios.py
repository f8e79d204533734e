"""Failure scenarios: behaviour markers that switch a failure on for a test, and context managers for a block.

    @pytest.mark.ofd_offline(mode="blackhole")          # the OFD hangs from the start of the test...
    def test_pending_grows(kkt_adapter, opticserp_scenario):
        ...
        opticserp_scenario.restore()                     # ...until the test brings it back

    def test_recovery(kkt_adapter, opticserp_scenario):
        with opticserp_scenario.ofd_offline():           # refused while inside the block
            kkt_adapter.post_receipt()

Family markers (`offline`, `circuit_breaker`, `ofd_timeout`, ...) only select tests (`pytest -m offline`);
they switch nothing on. The OFD is made unreachable on the wire (through the fault proxy in front of it), not
by answering 503, so the adapter sees what it would see in a shop: refused connections, or a connection that
never answers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from emulators.netfault import NetfaultProxy
from emulators.ofd import OfdEmulator

OFFLINE_MODES = ("refused", "blackhole", "reset")

FAMILY_MARKERS = {
    "offline": "offline: scenario family: the OFD unreachable (selects tests; switches nothing on, see ofd_offline)",
    "circuit_breaker": "circuit_breaker: scenario family: the adapter's circuit breaker (selects tests; switches "
    "nothing on, see ofd_failing)",
    "ofd_timeout": "ofd_timeout: scenario family: an OFD slower than the adapter waits (selects tests; switches "
    "nothing on, see ofd_slow)",
}
BEHAVIOUR_MARKERS = {
    "ofd_offline": "ofd_offline(mode='refused'): the OFD is unreachable from the start of the test until "
    "`opticserp_scenario.restore()` or its end; mode refused (connections refused), blackhole (accepted, never "
    "answered) or reset (connections reset)",
    "ofd_failing": "ofd_failing(failures=None, permanent=False): the OFD answers 503 to the next `failures` "
    "deliveries (default: the adapter's breaker threshold, so it fails until the breaker opens), or to all of "
    "them with permanent=True",
    "ofd_slow": "ofd_slow(delay=None): the OFD answers receipts only after `delay` seconds (default: twice the "
    "adapter's OFD_TIMEOUT, so every delivery times out)",
}


class ScenarioUnavailable(RuntimeError):
    """The adapter is not wired so that this failure can be switched on (e.g. no fault proxy in front of the OFD)."""


class Scenarios:
    """Context managers that switch a failure on for a block, for one adapter's OFD and the network to it.

    `ofd` and `network` are None when the adapter talks to something else (a URL of a real OFD, or the
    emulator without a fault proxy in between); the scenarios that need them then say so.
    """

    def __init__(self, ofd: OfdEmulator | None, network: NetfaultProxy | None,
                 adapter_settings: Mapping[str, Any]) -> None:
        self._ofd = ofd
        self._network = network
        self.adapter_settings = dict(adapter_settings)
        self._marked = contextlib.ExitStack()

    @property
    def ofd(self) -> OfdEmulator:
        if self._ofd is None:
            raise ScenarioUnavailable("this adapter's OFD is not an emulator made by pytest_opticserp.factories.ofd")
        return self._ofd

    @property
    def network(self) -> NetfaultProxy:
        if self._network is None:
            raise ScenarioUnavailable("this adapter reaches its OFD without a fault proxy: wire it to one made by "
                                      "pytest_opticserp.factories.fault_proxy to take the OFD offline")
        return self._network

    def restore(self) -> None:
        """End the failures the test's behaviour markers switched on (the OFD is back), before the test ends."""
        self._marked.close()

    @contextlib.contextmanager
    def ofd_offline(self, mode: str = "refused") -> Iterator[None]:
        """The OFD unreachable inside the block: `refused`, `blackhole` (never answers) or `reset`."""
        if mode not in OFFLINE_MODES:
            raise ValueError(f"offline mode must be one of {', '.join(OFFLINE_MODES)}, got {mode!r}")
        network = self.network
        if mode == "refused":
            network.disable()
            try:
                yield
            finally:
                network.enable()
            return
        with network.toxic("blackhole" if mode == "blackhole" else "reset_peer"):
            yield

    @contextlib.contextmanager
    def ofd_failing(self, failures: int | None = None, permanent: bool = False) -> Iterator[None]:
        """The OFD answers 503 to the next `failures` deliveries (default: the breaker threshold), or to all."""
        ofd = self.ofd
        if permanent:
            ofd.fail_permanently()
        else:
            ofd.fail_next(failures if failures is not None else int(self.adapter_settings["circuit_breaker_threshold"]))
        try:
            yield
        finally:
            ofd.recover()

    @contextlib.contextmanager
    def ofd_slow(self, delay: float | None = None) -> Iterator[None]:
        """The OFD answers after `delay` seconds (default: twice this adapter's OFD timeout)."""
        ofd = self.ofd
        ofd.delay(delay if delay is not None else 2 * float(self.adapter_settings["ofd_timeout"]))
        try:
            yield
        finally:
            ofd.delay(0)

    # The names of the first release, kept for one more: they read as the family markers do.
    offline = ofd_offline
    circuit_breaker = ofd_failing
    ofd_timeout = ofd_slow


def enter_marked(item: pytest.Item, scenarios: Scenarios) -> None:
    """Switch on the failures `item`'s behaviour markers ask for; `restore()` or the test's end ends them."""
    for name in BEHAVIOUR_MARKERS:
        marker = item.get_closest_marker(name)
        if marker is None:
            continue
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{name} takes keyword arguments only, got {marker.args!r}")
        try:
            scenarios._marked.enter_context(getattr(scenarios, name)(**marker.kwargs))
        except (TypeError, ValueError, ScenarioUnavailable) as exc:
            raise pytest.UsageError(f"@pytest.mark.{name}: {exc}") from None


def check_family_markers(item: pytest.Item) -> None:
    """A family marker with arguments was a behaviour marker in the first release: say what it is called now."""
    renamed = {"offline": "ofd_offline", "circuit_breaker": "ofd_failing", "ofd_timeout": "ofd_slow"}
    for family, behaviour in renamed.items():
        for marker in item.iter_markers(family):
            if marker.args or marker.kwargs:
                raise pytest.UsageError(
                    f"@pytest.mark.{family} only selects the {family} family and takes no arguments; to switch the "
                    f"failure on for this test use @pytest.mark.{behaviour}(...)"
                )


def behaviour_markers(item: pytest.Item) -> list[str]:
    return [name for name in BEHAVIOUR_MARKERS if item.get_closest_marker(name) is not None]
