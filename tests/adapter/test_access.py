"""Who may call the adapter: local tools, yes; a web page on another site, or under a rebound name, no."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest

from tests.support import RunningAdapter, eventually, seed_receipt


@pytest.fixture
def dead_lettered(start_adapter: Callable[..., RunningAdapter], ofd, monkeypatch) -> tuple[RunningAdapter, int]:
    """An adapter holding one receipt in the DLQ (the OFD does not take its VAT code), and that entry's id."""
    monkeypatch.setattr(ofd.state, "vat_codes", {code: rate for code, rate in ofd.state.vat_codes.items() if code != 1})
    adapter = start_adapter()  # a 20 % sale: tag 1199 code 1
    assert adapter.post_receipt().status_code == 200
    eventually(lambda: unresolved(adapter) == 1, "the rejected receipt in the DLQ", adapter.status)
    return adapter, adapter.client.get("/v1/kkt/dlq").json()["entries"][0]["id"]


def unresolved(adapter: RunningAdapter) -> int:
    return adapter.client.get("/v1/kkt/dlq").json()["count"]


def test_a_text_plain_post_cannot_resolve_a_dlq_entry(dead_lettered) -> None:
    adapter, entry = dead_lettered

    response = adapter.client.post(f"/v1/kkt/dlq/{entry}/resolve", content=b'{"note": "gone"}',
                                   headers={"Content-Type": "text/plain"})

    assert response.status_code == 415, response.text
    assert response.json()["error"] == "unsupported_media_type"
    assert response.json()["errors"][0]["field"] == "Content-Type"
    assert unresolved(adapter) == 1


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=b",
                                          "text/plain;charset=UTF-8", None])
@pytest.mark.parametrize("path", ["/v1/kkt/receipt", "/v1/kkt/buffer/sync", "/v1/kkt/dlq/redrive"])
def test_a_body_that_is_not_declared_json_gets_415_on_every_mutating_endpoint(adapter: RunningAdapter, path: str,
                                                                              content_type: str | None) -> None:
    headers = {"X-Idempotency-Key": "simple"} | ({"Content-Type": content_type} if content_type else {})

    response = adapter.client.post(path, content=b'{"pos_id": "POS-001"}', headers=headers)

    assert response.status_code == 415, response.text
    assert adapter.accepted() == 0


def test_a_page_on_another_origin_cannot_post_even_without_a_body(dead_lettered) -> None:
    adapter, entry = dead_lettered

    response = adapter.client.post(f"/v1/kkt/dlq/{entry}/resolve", headers={"Origin": "http://attacker.example"})

    assert response.status_code == 403, response.text
    assert response.json()["error"] == "cross_site_request"
    assert unresolved(adapter) == 1


def test_a_cross_site_fetch_is_refused_even_with_a_json_body(adapter: RunningAdapter) -> None:
    response = adapter.client.post("/v1/kkt/receipt", json=seed_receipt(),
                                   headers={"X-Idempotency-Key": "k", "Sec-Fetch-Site": "cross-site"})

    assert response.status_code == 403
    assert adapter.accepted() == 0


def test_curl_and_the_adapters_own_pages_may_post_without_a_body(adapter: RunningAdapter) -> None:
    by_curl = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                              f"http://localhost:{adapter.server.port}/v1/kkt/buffer/sync"],
                             capture_output=True, text=True, timeout=30)
    own_page = adapter.client.post("/v1/kkt/buffer/sync", headers={"Origin": adapter.url})

    assert by_curl.stdout == "200"
    assert own_page.status_code == 200, own_page.text


def test_a_rebound_host_name_is_refused_even_for_health(adapter: RunningAdapter) -> None:
    response = adapter.client.get("/v1/health", headers={"Host": "attacker.example"})

    assert response.status_code == 400
    assert response.json()["error"] == "host_not_allowed"
    assert response.json()["errors"][0]["field"] == "Host"


@pytest.mark.parametrize("host", ["localhost", "localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}"])
def test_loopback_names_are_answered_with_or_without_a_port(adapter: RunningAdapter, host: str) -> None:
    response = adapter.client.get("/v1/health", headers={"Host": host.format(port=adapter.server.port)})

    assert response.status_code == 200


def test_configured_host_names_are_answered(start_adapter) -> None:
    adapter = start_adapter(kkt_allowed_hosts="kkt_adapter, pos-01.shop.local:8000")

    def status(host: str) -> int:
        return adapter.client.get("/v1/kkt/buffer/status", headers={"Host": host}).status_code

    assert (status("kkt_adapter:8000"), status("pos-01.shop.local:8000")) == (200, 200)
    assert status("pos-01.shop.local:9000") == 400


def test_with_a_token_every_call_but_health_needs_it(start_adapter) -> None:
    adapter = start_adapter(kkt_api_token="t0ken")

    missing = adapter.client.get("/v1/kkt/buffer/status")
    wrong = adapter.client.get("/v1/kkt/buffer/status", headers={"Authorization": "Bearer t0ke"})
    right = adapter.client.get("/v1/kkt/buffer/status", headers={"Authorization": "Bearer t0ken"})
    receipt = adapter.post_receipt()

    assert (missing.status_code, wrong.status_code, right.status_code, receipt.status_code) == (401, 401, 200, 401)
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert missing.json()["errors"][0]["field"] == "Authorization"
    assert right.json()["pending_count"] == 0


def test_with_a_token_health_shows_only_the_status_to_callers_without_it(start_adapter) -> None:
    adapter = start_adapter(kkt_api_token="t0ken", odoo_api_url="http://127.0.0.1:1")

    anonymous = adapter.client.get("/v1/health")
    detailed = adapter.client.get("/v1/health", headers={"Authorization": "Bearer t0ken"})

    assert (anonymous.status_code, anonymous.json()) == (200, {"status": detailed.json()["status"]})
    assert detailed.json()["circuit_breaker"] == "CLOSED"
