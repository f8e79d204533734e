"""Entry point registered under `pytest11`: options, markers and the default fixtures are declared here.

For now it only announces itself; the service, emulator and adapter fixtures are being built.
"""

from __future__ import annotations

import pytest

from kkt_adapter import __version__


def pytest_report_header(config: pytest.Config) -> str:
    return f"opticserp: plugin {__version__}"
