"""The harness's HTTP clients share one TLS context, and it still verifies certificates."""

from __future__ import annotations

import ssl

import httpx
import pytest

from pytest_opticserp import http_client
from pytest_opticserp.ports import refusing_port


def test_every_client_gets_the_same_tls_context() -> None:
    assert http_client.tls_context() is http_client.tls_context()


def test_the_shared_context_verifies_certificates_and_host_names() -> None:
    context = http_client.tls_context()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0, "no CA certificates loaded"


def test_a_get_to_a_closed_port_is_a_connect_error() -> None:
    with refusing_port() as port, pytest.raises(httpx.ConnectError):
        http_client.get(f"http://127.0.0.1:{port}/", timeout=2)


def test_ssl_cert_file_is_honoured_as_httpx_does(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-bundle.pem"))
    http_client.tls_context.cache_clear()
    try:
        with pytest.raises(FileNotFoundError):
            http_client.tls_context()
    finally:
        monkeypatch.delenv("SSL_CERT_FILE")
        http_client.tls_context.cache_clear()
