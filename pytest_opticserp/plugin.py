"""Entry point registered under `pytest11`: options, markers, report hooks and the default fixtures.

The fixtures themselves come from `factories`; scenario behaviour lives in `scenarios`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kkt_adapter import __version__
from pytest_opticserp import _lifecycle, factories
from pytest_opticserp.backends import SERVICES, BackendUnavailable, choose
from pytest_opticserp.config import register_options, settings_for
from pytest_opticserp.factories.adapter import MARKER as ADAPTER_MARKER
from pytest_opticserp.receipts import ReceiptFactory
from pytest_opticserp.scenarios import SCENARIO_MARKERS, Scenarios, adapter_settings_for, marked_scenarios

ADAPTER_LOG_LINES = 30


def pytest_addoption(parser: pytest.Parser) -> None:
    register_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    settings_for(config)  # a bad option value is a usage error before any test runs
    for description in SCENARIO_MARKERS.values():
        config.addinivalue_line("markers", description)
    config.addinivalue_line(
        "markers", f"{ADAPTER_MARKER}(**settings): settings for this test's kkt_adapter process, named as its "
        "environment variables in lower case, e.g. buffer_max_size=3, sync_interval=0.5; redis=False leaves "
        "Redis out",
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = settings_for(config)
    services = []
    for service in SERVICES:
        try:
            services.append(choose(service, settings).describe())
        except BackendUnavailable as exc:
            services.append(f"{service} unavailable ({str(exc).splitlines()[0]})")
    return [f"opticserp: plugin {__version__}", "opticserp: " + ", ".join(services)]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    figures = _lifecycle.figure_lines(config)
    if figures:
        terminalreporter.section("opticserp figures")
        for line in figures:
            terminalreporter.write_line(line)
    for line in _lifecycle.startup_lines(config):
        terminalreporter.write_line(f"opticserp: {line}")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    _lifecycle.collect_worker_startup(node.config, node)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test that used the adapter shows the end of the adapter's log beside the failure."""
    report = yield
    adapter = getattr(item, "funcargs", {}).get("kkt_adapter")
    if report.failed and call.when == "call" and adapter is not None:
        tail = "\n".join(adapter.log().splitlines()[-ADAPTER_LOG_LINES:])
        report.sections.append((f"kkt_adapter log (last {ADAPTER_LOG_LINES} lines, {adapter.workdir})", tail))
    return report


def pytest_unconfigure(config: pytest.Config) -> None:
    _lifecycle.close_leftovers(config)


opticserp_redis_proc = factories.redis_proc()
opticserp_redis = factories.redis_client("opticserp_redis_proc")
opticserp_postgresql_proc = factories.postgresql_proc()
opticserp_postgresql_database = factories.postgresql_database("opticserp_postgresql_proc")
opticserp_postgresql = factories.postgresql("opticserp_postgresql_database")

opticserp_ofd_server = factories.ofd_server()
ofd = factories.ofd("opticserp_ofd_server")
opticserp_odoo_api_server = factories.odoo_api_server()
odoo_api = factories.odoo_api("opticserp_odoo_api_server")
ofd_network = factories.fault_proxy("ofd")
kkt_adapter = factories.kkt_adapter()


@pytest.fixture
def report_figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """`report_figure("drain: 5000 receipts in 3.9 s")`: a measured figure, printed in the terminal summary
    (also from xdist workers). Benchmarks and scenarios report numbers this way instead of timing asserts."""
    return lambda line: _lifecycle.record_figure(request.config, line)


@pytest.fixture
def receipt_factory() -> ReceiptFactory:
    """Builds valid receipt bodies: `receipt_factory()`, `.sale(price=, tax_rate=)`, `.refund()`,
    `.split(cash=, card=)`, `.with_rates("22", "10", ...)`; `.key()` gives a fresh idempotency key."""
    return ReceiptFactory()


@pytest.fixture
def scenario(request: pytest.FixtureRequest, ofd: Any, ofd_network: Any) -> Scenarios:
    """Failure scenarios as context managers: `with scenario.offline(mode="blackhole"):`,
    `scenario.circuit_breaker(failures=3)`, `scenario.ofd_timeout(delay=5)`; each is undone on exit.
    `scenario.restore()` ends what the test's markers switched on."""
    return Scenarios(ofd, ofd_network, adapter_settings_for(request.node))


@pytest.fixture(autouse=True)
def _opticserp_scenario_markers(request: pytest.FixtureRequest) -> Iterator[None]:
    """Switch on the scenarios a test is marked with, before its adapter starts; undo them after."""
    if not any(request.node.get_closest_marker(name) for name in SCENARIO_MARKERS):
        yield
        return
    with marked_scenarios(request.node, request.getfixturevalue("scenario")):
        yield
