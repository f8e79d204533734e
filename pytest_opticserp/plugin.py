"""Entry point registered under `pytest11`: options, report hooks and the default fixtures are declared here.

The fixtures themselves come from `factories`; the emulator and adapter fixtures will be added the same way.
"""

from __future__ import annotations

from typing import Any

import pytest

from kkt_adapter import __version__
from pytest_opticserp import _lifecycle, factories
from pytest_opticserp.backends import SERVICES, BackendUnavailable, choose
from pytest_opticserp.config import register_options, settings_for


def pytest_addoption(parser: pytest.Parser) -> None:
    register_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    settings_for(config)  # a bad option value is a usage error before any test runs


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
    for line in _lifecycle.startup_lines(config):
        terminalreporter.write_line(f"opticserp: {line}")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    _lifecycle.collect_worker_startup(node.config, node)


def pytest_unconfigure(config: pytest.Config) -> None:
    _lifecycle.close_leftovers(config)


opticserp_redis_proc = factories.redis_proc()
opticserp_redis = factories.redis_client("opticserp_redis_proc")
opticserp_postgresql_proc = factories.postgresql_proc()
opticserp_postgresql_database = factories.postgresql_database("opticserp_postgresql_proc")
opticserp_postgresql = factories.postgresql("opticserp_postgresql_database")
