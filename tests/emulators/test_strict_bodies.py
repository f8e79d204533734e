"""The emulators read bodies as strictly as the adapter, cap headers, and stay responsive meanwhile."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.liveness import raw_request, request_bytes, under_hostile_load


def with_duplicate(body: dict[str, Any], key: str, first: object) -> bytes:
    """`body` as JSON with `key` given twice: first `first`, then its real value."""
    text = json.dumps(body, ensure_ascii=False)
    return text.replace(f'"{key}": ', f'"{key}": {json.dumps(first)}, "{key}": ', 1).encode()


def test_an_ofd_document_with_a_duplicate_key_is_refused_naming_it(ofd_client: httpx.Client, make_receipt) -> None:
    raw = with_duplicate(make_receipt(), "total", 1)

    response = ofd_client.post("/ofd/v1/receipts", content=raw, headers={"Content-Type": "application/json"})

    assert response.status_code == 400, response.text
    assert response.json()["field"] == "body"
    assert "duplicate key 'total'" in response.json()["message"]


@pytest.mark.parametrize("encode, problem", [
    (lambda text: codecs.BOM_UTF8 + text.encode(), "byte order mark"),
    (lambda text: text.encode("utf-16"), "byte order mark"),
    (lambda text: text.encode("utf-16-le"), "send UTF-8"),
], ids=["UTF-8 with a BOM", "UTF-16 with a BOM", "UTF-16 without a BOM"])
def test_an_ofd_document_not_in_plain_utf8_is_refused(ofd_client: httpx.Client, make_receipt,
                                                       encode: Callable[[str], bytes], problem: str) -> None:
    raw = encode(json.dumps(make_receipt(), ensure_ascii=False))

    response = ofd_client.post("/ofd/v1/receipts", content=raw, headers={"Content-Type": "application/json"})

    assert response.status_code == 400, response.text
    assert problem in response.json()["message"]


def test_a_heartbeat_with_a_duplicate_key_is_refused(odoo_client: httpx.Client) -> None:
    raw = b'{"adapter_id": "a", "adapter_id": "b", "timestamp": "2026-11-21T10:15:00+03:00"}'

    response = odoo_client.post("/api/v1/kkt/heartbeat", content=raw, headers={"Content-Type": "application/json"})

    assert response.status_code == 400, response.text
    assert "duplicate key 'adapter_id'" in response.json()["message"]


def test_an_admin_body_with_a_duplicate_key_is_refused(ofd_client: httpx.Client) -> None:
    response = ofd_client.post("/ofd/v1/admin/set-failure", content=b'{"failure_count": 0, "failure_count": 5}')

    assert response.status_code == 400, response.text
    assert "duplicate key 'failure_count'" in response.json()["message"]
    assert ofd_client.get("/ofd/v1/health").json()["failure_mode"] == "disabled"


def test_too_many_headers_get_431_in_the_emulators_error_shape(ofd_client: httpx.Client) -> None:
    port = httpx.URL(str(ofd_client.base_url)).port
    answer = raw_request(port, request_bytes("GET", "/ofd/v1/health", {f"X-{n}": "y" for n in range(101)}))

    assert answer.status == 431
    assert answer.body == {"status": "error", "field": "headers", "message": "more than 100 header lines"}


def test_the_ofd_command_stays_responsive_while_a_client_sends_huge_headers_and_numbers(
        run_cli, free_port, make_receipt) -> None:
    port = free_port()
    ofd = run_cli("ofd", "--port", str(port), "--log-level", "error")
    ofd.wait_until_healthy(f"http://127.0.0.1:{port}/ofd/v1/health")
    document = json.dumps(make_receipt()).replace('"total": 500000', '"total": 1e300000').encode()
    hostile = {
        "a 64 MB header": request_bytes("GET", "/ofd/v1/health", extra_head=b"X-Big: " + b"a" * (64 << 20) + b"\r\n"),
        "a huge-exponent total": request_bytes("POST", "/ofd/v1/receipts", {"Content-Type": "application/json"},
                                               document),
    }

    probe, answers = under_hostile_load(f"http://127.0.0.1:{port}/ofd/v1/health", port, hostile, 0.100)

    assert probe.worst < 0.100, probe.summary()
    assert {answer.status for name, answer in answers if name == "a 64 MB header"} <= {431, None}
    assert {answer.status for name, answer in answers if name == "a huge-exponent total"} == {400}
