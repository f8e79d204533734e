"""An adapter configured with KKT_API_TOKEN: the plugin's client and helpers send it, others are refused."""

from __future__ import annotations

import pytest

from pytest_opticserp import KktAdapter, http_client


@pytest.mark.kkt_adapter(kkt_api_token="plugin-t0ken")
def test_the_adapters_client_and_helpers_send_the_token(kkt_adapter: KktAdapter) -> None:
    assert kkt_adapter.post_receipt().status_code == 200
    kkt_adapter.wait_until_synced(1)
    assert kkt_adapter.sync_now()["circuit_breaker"] == "CLOSED"
    assert kkt_adapter.health()["circuit_breaker"] == "CLOSED"
    assert kkt_adapter.dlq() == []


@pytest.mark.kkt_adapter(kkt_api_token="plugin-t0ken")
def test_a_client_without_the_token_is_refused(kkt_adapter: KktAdapter) -> None:
    assert http_client.get(f"{kkt_adapter.url}/v1/kkt/buffer/status").status_code == 401
    assert set(http_client.get(f"{kkt_adapter.url}/v1/health").json()) == {"status"}


@pytest.mark.kkt_adapter(kkt_api_token="first-t0ken")
def test_a_restart_with_another_token_changes_what_the_client_sends(kkt_adapter: KktAdapter) -> None:
    kkt_adapter.restart(kkt_api_token="second-t0ken")

    assert kkt_adapter.status()["pending_count"] == 0
    assert kkt_adapter.client.get("/v1/kkt/dlq", headers={"Authorization": "Bearer first-t0ken"}).status_code == 401
