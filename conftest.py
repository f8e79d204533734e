"""Root test configuration: tests see only the settings they set themselves."""

import os

import pytest

# tests/plugin runs inner pytest sessions; pytest accepts pytest_plugins only in the root conftest.
pytest_plugins = ["pytester"]

ADAPTER_PREFIXES = ("KKT_", "OFD_", "BUFFER_", "SYNC_", "CIRCUIT_BREAKER_", "MOCK_OFD_", "MOCK_ODOO_",
                    "HEARTBEAT_", "REDIS_", "VAT_", "MAX_REQUEST_")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's shell (say, with SYNC_INTERVAL exported) must not change what the tests see."""
    for name in list(os.environ):
        if name.startswith(ADAPTER_PREFIXES) or name == "LOG_LEVEL":
            monkeypatch.delenv(name)
