"""Who may call the adapter: local tools, yes; a web page on another site, or under a rebound name, no."""

from __future__ import annotations

import subprocess

import pytest

from pytest_opticserp import InProcessKktAdapter, ReceiptFactory, eventually, http_client


@pytest.fixture
def dead_lettered(kkt_adapter_app: InProcessKktAdapter, ofd_emulator, monkeypatch) -> tuple[InProcessKktAdapter, int]:
    """An adapter holding one receipt in the DLQ (the OFD does not take its VAT code), and that entry's id."""
    monkeypatch.setattr(ofd_emulator.state, "vat_codes",
                        {code: rate for code, rate in ofd_emulator.state.vat_codes.items() if code != 1})
    assert kkt_adapter_app.post_receipt().status_code == 200
    eventually(lambda: unresolved(kkt_adapter_app) == 1, "the rejected receipt in the DLQ", kkt_adapter_app.status)
    return kkt_adapter_app, kkt_adapter_app.client.get("/v1/kkt/dlq").json()["entries"][0]["id"]


def unresolved(adapter: InProcessKktAdapter) -> int:
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
def test_a_body_that_is_not_declared_json_gets_415_on_every_mutating_endpoint(
    kkt_adapter_app: InProcessKktAdapter, path: str, content_type: str | None
) -> None:
    headers = {"X-Idempotency-Key": "simple"} | ({"Content-Type": content_type} if content_type else {})

    response = kkt_adapter_app.client.post(path, content=b'{"pos_id": "POS-001"}', headers=headers)

    assert response.status_code == 415, response.text
    assert kkt_adapter_app.accepted() == 0


def test_a_page_on_another_origin_cannot_post_even_without_a_body(dead_lettered) -> None:
    adapter, entry = dead_lettered

    response = adapter.client.post(f"/v1/kkt/dlq/{entry}/resolve", headers={"Origin": "http://attacker.example"})

    assert response.status_code == 403, response.text
    assert response.json()["error"] == "cross_site_request"
    assert unresolved(adapter) == 1


def test_a_cross_site_fetch_is_refused_even_with_a_json_body(kkt_adapter_app: InProcessKktAdapter) -> None:
    response = kkt_adapter_app.client.post("/v1/kkt/receipt", json=ReceiptFactory.guide(),
                                   headers={"X-Idempotency-Key": "k", "Sec-Fetch-Site": "cross-site"})

    assert response.status_code == 403
    assert kkt_adapter_app.accepted() == 0


def test_curl_and_the_adapters_own_pages_may_post_without_a_body(kkt_adapter_app: InProcessKktAdapter) -> None:
    by_curl = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                              f"http://localhost:{kkt_adapter_app.port}/v1/kkt/buffer/sync"],
                             capture_output=True, text=True, timeout=30)
    own_page = kkt_adapter_app.client.post("/v1/kkt/buffer/sync", headers={"Origin": kkt_adapter_app.url})

    assert by_curl.stdout == "200"
    assert own_page.status_code == 200, own_page.text


def test_a_rebound_host_name_is_refused_even_for_health(kkt_adapter_app: InProcessKktAdapter) -> None:
    response = kkt_adapter_app.client.get("/v1/health", headers={"Host": "attacker.example"})

    assert response.status_code == 400
    assert response.json()["error"] == "host_not_allowed"
    assert response.json()["errors"][0]["field"] == "Host"


@pytest.mark.parametrize("host", ["localhost", "localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}"])
def test_loopback_names_are_answered_with_or_without_a_port(kkt_adapter_app: InProcessKktAdapter, host: str) -> None:
    response = kkt_adapter_app.client.get("/v1/health", headers={"Host": host.format(port=kkt_adapter_app.port)})

    assert response.status_code == 200


@pytest.mark.kkt_adapter(kkt_allowed_hosts="kkt_adapter, pos-01.shop.local:8000")
def test_configured_host_names_are_answered(kkt_adapter_app) -> None:
    def status(host: str) -> int:
        return kkt_adapter_app.client.get("/v1/kkt/buffer/status", headers={"Host": host}).status_code

    assert (status("kkt_adapter:8000"), status("pos-01.shop.local:8000")) == (200, 200)
    assert status("pos-01.shop.local:9000") == 400


@pytest.mark.kkt_adapter(kkt_api_token="t0ken")
def test_with_a_token_every_call_but_health_needs_it(kkt_adapter_app: InProcessKktAdapter) -> None:
    with http_client.client(base_url=kkt_adapter_app.url) as anonymous:  # the fixture's client sends the token
        missing = anonymous.get("/v1/kkt/buffer/status")
        wrong = anonymous.get("/v1/kkt/buffer/status", headers={"Authorization": "Bearer t0ke"})
        right = anonymous.get("/v1/kkt/buffer/status", headers={"Authorization": "Bearer t0ken"})
        receipt = anonymous.post("/v1/kkt/receipt", json=kkt_adapter_app.receipts(),
                                 headers={"X-Idempotency-Key": "no-token"})

    assert (missing.status_code, wrong.status_code, right.status_code, receipt.status_code) == (401, 401, 200, 401)
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert missing.json()["errors"][0]["field"] == "Authorization"
    assert right.json()["pending_count"] == 0


@pytest.mark.kkt_adapter(kkt_api_token="t0ken", odoo_api_url="http://127.0.0.1:1")
def test_with_a_token_health_shows_only_the_status_to_callers_without_it(kkt_adapter_app: InProcessKktAdapter) -> None:
    anonymous = http_client.get(f"{kkt_adapter_app.url}/v1/health")
    detailed = http_client.get(f"{kkt_adapter_app.url}/v1/health", headers={"Authorization": "Bearer t0ken"})

    assert (anonymous.status_code, anonymous.json()) == (200, {"status": detailed.json()["status"]})
    assert detailed.json()["circuit_breaker"] == "CLOSED"
