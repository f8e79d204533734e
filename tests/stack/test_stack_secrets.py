"""The stack passes KKT_API_TOKEN to its health probe of the adapter, and shows no password it was given."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opticserp_tools.devstack import load_config
from opticserp_tools.devstack.config import StackConfigError
from opticserp_tools.devstack.services import Probe, probe_headers
from pytest_opticserp.executors.opticserp import OpticserpProcess
from pytest_opticserp.ports import reserve_port, shared_port_dir

SECRET = "s3cret-pw"
TOKEN = "stack-t0ken"


@pytest.fixture
def adapter_with_token(tmp_path, pytestconfig, tmp_path_factory) -> Iterator[OpticserpProcess]:
    """A real `opticserp adapter` process requiring TOKEN (in-process OFD, no heartbeats, no Redis)."""
    reservation = reserve_port(shared_port_dir(pytestconfig, tmp_path_factory), "adapter")
    port = reservation.port
    env = {"BUFFER_DB_PATH": str(tmp_path / "buffer.db"), "OFD_MODE": "mock", "MOCK_ODOO_URL": "", "REDIS_URL": "",
           "KKT_PRINT_DELAY_MIN_MS": "0", "KKT_PRINT_DELAY_MAX_MS": "0", "KKT_API_TOKEN": TOKEN}
    process = OpticserpProcess("adapter", ["adapter", "--port", str(port)], port=port, health_path="/v1/health",
                               logfile=tmp_path / "adapter.log", env=env, cwd=tmp_path)
    try:
        yield process.start()
    finally:
        process.stop()
        reservation.release()


def test_status_shows_the_adapters_details_with_the_token_from_the_settings(project, adapter_with_token) -> None:
    (project.root / ".env").write_text(f"KKT_API_TOKEN={TOKEN}\n")
    config = load_config(project.root, environ={})
    probe = Probe("http", adapter_with_token.health_url)

    with_token = probe.check(headers=probe_headers("adapter", config))
    without = probe.check()

    assert with_token.ok and with_token.summary == "healthy, breaker CLOSED, 0 pending"
    assert without.ok and without.summary == "healthy"
    assert probe_headers("ofd", config) == {}


def test_a_refused_url_is_quoted_without_its_password(project) -> None:
    with pytest.raises(StackConfigError) as refused:
        load_config(project.root, environ={"REDIS_URL": f"redis://:{SECRET}@redis:6379/0"})

    assert "REDIS_URL='redis://:***@redis:6379/0'" in str(refused.value)
    assert SECRET not in str(refused.value)
