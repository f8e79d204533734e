"""The adapter variants these tests need, declared with the plugin's factories as a user's project would.

Everything else (the emulators, `kkt_adapter`, `kkt_adapter_app`, `fiscal_receipt_factory`, `eventually`) is
the plugin's own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_opticserp import factories
from pytest_opticserp.ports import refusing_port


@pytest.fixture(scope="session")
def refused_ofd_url() -> Iterator[str]:
    """An OFD URL whose port refuses every connection, so receipts stay pending."""
    with refusing_port() as port:
        yield f"http://127.0.0.1:{port}"


kkt_adapter_offline = factories.kkt_adapter_app(ofd_url_fixture="refused_ofd_url")
kkt_adapter_with_redis = factories.kkt_adapter_app(redis_fixture="opticserp_redis_proc")
# For tests that prepare the buffer first, start it with other settings, or expect it to refuse to start.
kkt_adapter_unstarted = factories.kkt_adapter(start=False)
