"""Root test configuration: tests see only the settings they set themselves."""

import os
import signal

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


def pytest_configure(config: pytest.Config) -> None:
    """Started with Ctrl-C ignored (nohup, or a background job of a shell without job control), a run passes
    that on to every process it starts, and the tests that press Ctrl-C on the load runner, an inner session
    or `./dev logs -f` wait in vain. Take Ctrl-C back, as Python does when it starts normally; a caught
    signal is reset to its default in the processes the tests start."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
