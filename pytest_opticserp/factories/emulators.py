"""Emulator fixture factories: one server per session (per xdist worker), reset before each test.

    my_ofd_server = ofd_server()            # session: a second OFD on a free port
    my_ofd = ofd("my_ofd_server")           # function: the same, reset for each test
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from emulators.netfault import NetfaultProxy
from emulators.odoo_api import OdooApiEmulator
from emulators.ofd import OfdEmulator
from pytest_opticserp._lifecycle import record_startup, tracked


def _server(emulator_class: type, doc: str) -> Callable[..., Any]:
    @pytest.fixture(scope="session")
    def server_fixture(request: pytest.FixtureRequest) -> Iterator[Any]:
        emulator = emulator_class()
        with tracked(request.config, _Stoppable(emulator)):
            emulator.start()
            record_startup(request.config, f"{emulator_class.__name__} on {emulator.url}")
            yield emulator

    server_fixture.__doc__ = doc
    return server_fixture


def _reset_per_test(server_fixture_name: str, doc: str) -> Callable[..., Any]:
    @pytest.fixture
    def emulator_fixture(request: pytest.FixtureRequest) -> Any:
        emulator = request.getfixturevalue(server_fixture_name)
        emulator.reset()
        return emulator

    emulator_fixture.__doc__ = doc
    return emulator_fixture


def ofd_server() -> Callable[..., Any]:
    return _server(OfdEmulator, "The OFD emulator serving on a free loopback port for the whole session.")


def ofd(server_fixture_name: str) -> Callable[..., Any]:
    return _reset_per_test(server_fixture_name, """The OFD emulator, empty and failure-free for this test.

        `fail_next(n)`, `fail_permanently()`, `recover()`, `delay(seconds)` change how it answers;
        `received()`, `receipts_received`, `counters` and `wait_for(n)` tell what reached it.
        """)


def odoo_api_server() -> Callable[..., Any]:
    return _server(OdooApiEmulator, "The Odoo API emulator serving on a free loopback port for the whole session.")


def odoo_api(server_fixture_name: str) -> Callable[..., Any]:
    return _reset_per_test(server_fixture_name, """The Odoo API emulator, empty and failure-free for this test.

        `heartbeats()`, `last_heartbeat(adapter_id)`, `wait_for(n)` tell what arrived; failures are injected
        as on the OFD (`fail_next`, `fail_permanently`, `recover`, `delay`).
        """)


def fault_proxy(upstream_fixture_name: str) -> Callable[..., Any]:
    @pytest.fixture
    def fault_proxy_fixture(request: pytest.FixtureRequest) -> Iterator[NetfaultProxy]:
        """A network fault proxy in front of the upstream fixture, for this test.

        `disable()` / `enable()` (connections refused), and toxics: `with proxy.toxic("blackhole"): ...`,
        `latency`, `reset_peer`, `bandwidth`, `slow_close`.
        """
        upstream = request.getfixturevalue(upstream_fixture_name)
        proxy = NetfaultProxy(f"{upstream.host}:{upstream.port}")
        with tracked(request.config, _Stoppable(proxy)):
            proxy.start()
            yield proxy

    return fault_proxy_fixture


class _Stoppable:
    """Adapts an emulator handle's `stop()` to the lifecycle's `close()`."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def close(self) -> None:
        self._handle.stop()
