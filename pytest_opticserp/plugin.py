"""Entry point registered under `pytest11`: options, markers, report hooks and the default fixtures.

The fixtures themselves come from `factories`; scenario behaviour lives in `scenarios`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from emulators.odoo_api import OdooApiEmulator
from emulators.ofd import OfdEmulator
from kkt_adapter import __version__
from pytest_opticserp import _injections, _lifecycle, factories, register_state
from pytest_opticserp.backends import SERVICES, header_line
from pytest_opticserp.config import register_options, settings_for
from pytest_opticserp.factories import register_device
from pytest_opticserp.factories.adapter import ADAPTERS, MARKERS_APPLIED
from pytest_opticserp.factories.adapter import MARKER as ADAPTER_MARKER
from pytest_opticserp.receipts import ReceiptFactory
from pytest_opticserp.scenarios import (
    BEHAVIOUR_MARKERS,
    FAMILY_MARKERS,
    Scenarios,
    behaviour_markers,
    check_family_markers,
)

ADAPTER_LOG_LINES = 30


def pytest_addoption(parser: pytest.Parser) -> None:
    register_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    settings_for(config)  # a bad option value is a usage error before any test runs
    for description in {**FAMILY_MARKERS, **BEHAVIOUR_MARKERS}.values():
        config.addinivalue_line("markers", description)
    config.addinivalue_line(
        "markers", f"{ADAPTER_MARKER}(**settings): settings for this test's kkt_adapter process, named as its "
        "environment variables in lower case, e.g. buffer_max_size=3, sync_interval=0.5; redis=False leaves "
        "Redis out",
    )
    config.addinivalue_line("markers", _injections.MARKER_DESCRIPTION)
    config.addinivalue_line("markers", register_state.MARKER_DESCRIPTION)
    config.addinivalue_line("markers", register_device.MARKER_HELP)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Says what will serve each service without starting anything; versions come when a service starts."""
    settings = settings_for(config)
    services = ", ".join(header_line(service, settings) for service in SERVICES)
    return [f"opticserp: plugin {__version__} (services are checked, and their versions shown, when they start)",
            f"opticserp: {services}; register: {settings.kkt}"]


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
    """A failed test shows the end of the log of every adapter it used (whatever its fixture's name)."""
    report = yield
    if call.when == "call":
        item.stash[_injections.CALL_FAILED] = report.failed
    if report.failed and call.when == "call":
        for name, adapter in item.stash.get(ADAPTERS, {}).items():
            tail = "\n".join(adapter.log().splitlines()[-ADAPTER_LOG_LINES:])
            report.sections.append((f"{name} log (last {ADAPTER_LOG_LINES} lines, {adapter.workdir})", tail))
    return report


def pytest_unconfigure(config: pytest.Config) -> None:
    _lifecycle.close_leftovers(config)


opticserp_redis_proc = factories.redis_proc()
opticserp_redis = factories.redis_client("opticserp_redis_proc")
opticserp_postgresql_proc = factories.postgresql_proc()
opticserp_postgresql_database = factories.postgresql_database("opticserp_postgresql_proc")
opticserp_postgresql = factories.postgresql("opticserp_postgresql_database")

opticserp_ofd_server = factories.ofd_server()
ofd_emulator = factories.ofd("opticserp_ofd_server")
opticserp_odoo_api_server = factories.odoo_api_server()
odoo_api_emulator = factories.odoo_api("opticserp_odoo_api_server")
ofd_network = factories.fault_proxy("ofd_emulator")
kkt_adapter = factories.kkt_adapter()
kkt_adapter_app = factories.kkt_adapter_app()
kkt_register_device = factories.kkt_register_device()
opticserp_scenario = factories.scenario("kkt_adapter")


@pytest.fixture
def opticserp_report_figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """`opticserp_report_figure("drain: 5000 receipts in 3.9 s")`: a measured figure, printed in the terminal
    summary (also from xdist workers). Benchmarks and scenarios report numbers this way instead of timing asserts."""
    return lambda line: _lifecycle.record_figure(request.config, line)


@pytest.fixture
def fiscal_receipt_factory() -> ReceiptFactory:
    """Builds valid receipt bodies: `fiscal_receipt_factory()`, `.sale(price=, tax_rate=)`, `.refund()`,
    `.split(cash=, card=)`, `.with_rates("22", "10", ...)`; `.key()` gives a fresh idempotency key."""
    return ReceiptFactory()


@pytest.fixture(autouse=True)
def _opticserp_markers(request: pytest.FixtureRequest) -> Iterator[None]:
    """A family marker given arguments, or a behaviour marker no adapter applied, is a mistake: say so."""
    check_family_markers(request.node)
    yield
    unapplied = behaviour_markers(request.node)
    ran = _injections.CALL_FAILED in request.node.stash
    if unapplied and ran and not request.node.stash.get(MARKERS_APPLIED, False):
        pytest.fail(f"@pytest.mark.{unapplied[0]} switched nothing on: the test uses no adapter fixture (made by "
                    "pytest_opticserp.factories.kkt_adapter), which is what applies it", pytrace=False)
    marked_register = request.node.get_closest_marker(register_state.MARKER) is not None
    if marked_register and ran and not request.node.stash.get(register_state.REGISTER_APPLIED, False):
        pytest.fail(f"@pytest.mark.{register_state.MARKER} prepared nothing: the test uses no adapter fixture (made "
                    "by pytest_opticserp.factories.kkt_adapter or kkt_adapter_app), which is what applies it",
                    pytrace=False)


# The first release's names, kept as aliases for one more release (they clash too easily in a user's project).


@pytest.fixture
def ofd(ofd_emulator: OfdEmulator) -> OfdEmulator:
    """Deprecated alias of `ofd_emulator` (kept for one release)."""
    return ofd_emulator


@pytest.fixture
def odoo_api(odoo_api_emulator: OdooApiEmulator) -> OdooApiEmulator:
    """Deprecated alias of `odoo_api_emulator` (kept for one release)."""
    return odoo_api_emulator


@pytest.fixture
def scenario(opticserp_scenario: Scenarios) -> Scenarios:
    """Deprecated alias of `opticserp_scenario` (kept for one release)."""
    return opticserp_scenario


@pytest.fixture
def receipt_factory(fiscal_receipt_factory: ReceiptFactory) -> ReceiptFactory:
    """Deprecated alias of `fiscal_receipt_factory` (kept for one release)."""
    return fiscal_receipt_factory


@pytest.fixture
def report_figure(opticserp_report_figure: Callable[[str], None]) -> Callable[[str], None]:
    """Deprecated alias of `opticserp_report_figure` (kept for one release)."""
    return opticserp_report_figure
