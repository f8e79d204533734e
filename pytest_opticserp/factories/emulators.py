"""Emulator fixture factories: one server per session (per xdist worker), reset before each test.

    my_ofd_server = ofd_server()            # session: a second OFD on a free port
    my_ofd = ofd("my_ofd_server")           # function: the same, reset for each test
    my_ofd_network = fault_proxy("my_ofd")  # function: a fault proxy in front of it, for an adapter to use

Failures armed with `fail_next(n)` on a per-test emulator that no request used fail the test at teardown
(`assert_all_failures_used=False` here, or the `opticserp_emulators` marker, allows it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from emulators.netfault import NetfaultProxy
from emulators.odoo_api import OdooApiEmulator
from emulators.ofd import OfdEmulator
from pytest_opticserp._injections import CALL_FAILED, EmulatorOptions, FailureLedger
from pytest_opticserp._lifecycle import record_startup, tracked
from pytest_opticserp.handles import ServerHandle

E = TypeVar("E", OfdEmulator, OdooApiEmulator)
_UPSTREAMS = pytest.StashKey[dict[int, ServerHandle]]()


def upstream_of(node: pytest.Item, proxy: NetfaultProxy) -> ServerHandle | None:
    """The handle a fault proxy fixture of this test forwards to (how an adapter finds the OFD behind it)."""
    return node.stash.get(_UPSTREAMS, {}).get(id(proxy))


def _server(emulator_class: type[E], doc: str) -> Callable[..., Iterator[E]]:
    @pytest.fixture(scope="session")
    def server_fixture(request: pytest.FixtureRequest) -> Iterator[E]:
        emulator = emulator_class()
        with tracked(request.config, _Stoppable(emulator)):
            emulator.start()
            record_startup(request.config, f"{emulator_class.__name__} on {emulator.url}")
            yield emulator

    server_fixture.__doc__ = doc
    return server_fixture


def _reset_per_test(server_fixture_name: str, doc: str, assert_all_failures_used: bool) -> Callable[..., Iterator[E]]:
    @pytest.fixture
    def emulator_fixture(request: pytest.FixtureRequest) -> Iterator[E]:
        options = EmulatorOptions.for_item(request.node, assert_all_failures_used)
        emulator: E = request.getfixturevalue(server_fixture_name)
        emulator.reset()
        ledger = FailureLedger(request.fixturename or server_fixture_name, emulator.state.faults)
        with pytest.MonkeyPatch.context() as monkeypatch:
            ledger.watch(emulator, monkeypatch)
            yield emulator
            message = ledger.failure_message()
        if message and options.assert_all_failures_used and not request.node.stash.get(CALL_FAILED, False):
            pytest.fail(message, pytrace=False)

    emulator_fixture.__doc__ = doc
    return emulator_fixture


def ofd_server() -> Callable[..., Iterator[OfdEmulator]]:
    return _server(OfdEmulator, "The OFD emulator serving on a free loopback port for the whole session.")


def ofd(server_fixture_name: str, *, assert_all_failures_used: bool = True) -> Callable[..., Iterator[OfdEmulator]]:
    return _reset_per_test(server_fixture_name, """The OFD emulator, empty and failure-free for this test.

        `fail_next(n)`, `fail_permanently()`, `recover()`, `delay(seconds)` change how it answers (failures armed
        with `fail_next` and never used fail the test at teardown); `received()`, `receipts_received`, `counters`
        and `wait_for(n)` tell what reached it.
        """, assert_all_failures_used)


def odoo_api_server() -> Callable[..., Iterator[OdooApiEmulator]]:
    return _server(OdooApiEmulator, "The Odoo API emulator serving on a free loopback port for the whole session.")


def odoo_api(server_fixture_name: str, *,
             assert_all_failures_used: bool = True) -> Callable[..., Iterator[OdooApiEmulator]]:
    return _reset_per_test(server_fixture_name, """The Odoo API emulator, empty and failure-free for this test.

        `heartbeats()`, `last_heartbeat(adapter_id)`, `wait_for(n)` tell what arrived; failures are injected
        as on the OFD (`fail_next`, `fail_permanently`, `recover`, `delay`).
        """, assert_all_failures_used)


def fault_proxy(upstream_fixture_name: str) -> Callable[..., Iterator[NetfaultProxy]]:
    @pytest.fixture
    def fault_proxy_fixture(request: pytest.FixtureRequest) -> Iterator[NetfaultProxy]:
        """A network fault proxy in front of the upstream fixture, for this test.

        `disable()` / `enable()` (connections refused), and toxics: `with proxy.toxic("blackhole"): ...`,
        `latency`, `reset_peer`, `bandwidth`, `slow_close`.
        """
        upstream: ServerHandle = request.getfixturevalue(upstream_fixture_name)
        proxy = NetfaultProxy(f"{upstream.host}:{upstream.port}")
        with tracked(request.config, _Stoppable(proxy)):
            proxy.start()
            request.node.stash.setdefault(_UPSTREAMS, {})[id(proxy)] = upstream
            yield proxy

    return fault_proxy_fixture


class _Stoppable:
    """Adapts an emulator handle's `stop()` to the lifecycle's `close()`."""

    def __init__(self, handle: ServerHandle) -> None:
        self._handle = handle

    def close(self) -> None:
        self._handle.stop()
