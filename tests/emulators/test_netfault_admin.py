"""The fault proxy's HTTP admin API, with each change observed through the proxy itself."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from emulators.netfault import NetfaultProxy, create_admin_app
from emulators.serving import ServerThread
from pytest_opticserp import http_client


@pytest.fixture(scope="module")
def _proxy_with_admin(echo_server: tuple[str, int]) -> Iterator[tuple[NetfaultProxy, httpx.Client]]:
    """One proxy and admin server for the module (uvicorn takes ~0.2 s to stop); `reset()` isolates tests."""
    with (
        NetfaultProxy(echo_server) as shared,
        ServerThread(create_admin_app(shared)) as server,
        http_client.client(base_url=server.url, timeout=10) as client,
    ):
        yield shared, client


@pytest.fixture
def proxy(_proxy_with_admin: tuple[NetfaultProxy, httpx.Client]) -> NetfaultProxy:
    shared = _proxy_with_admin[0]
    shared.reset()
    return shared


@pytest.fixture
def admin(proxy: NetfaultProxy, _proxy_with_admin: tuple[NetfaultProxy, httpx.Client]) -> httpx.Client:
    return _proxy_with_admin[1]


def echoes(proxy: NetfaultProxy) -> bool:
    with socket.create_connection(proxy.address, timeout=5) as sock:
        sock.sendall(b"ping")
        return sock.recv(4) == b"ping"


def test_the_proxy_description_names_listener_upstream_and_toxics(proxy: NetfaultProxy, admin: httpx.Client) -> None:
    description = admin.get("/proxy").json()

    assert description["listen"] == f"127.0.0.1:{proxy.port}"
    assert description["upstream"] == f"{proxy.upstream[0]}:{proxy.upstream[1]}"
    assert (description["enabled"], description["listening"], description["toxics"]) == (True, True, [])


def test_a_toxic_added_over_http_is_listed_and_applied(proxy: NetfaultProxy, admin: httpx.Client) -> None:
    response = admin.post("/toxics", json={"type": "down"})

    assert response.status_code == 201
    assert response.json() == {"name": "down", "type": "down"}
    assert [t["name"] for t in admin.get("/toxics").json()] == ["down"]
    with pytest.raises(ConnectionRefusedError):
        echoes(proxy)


def test_a_toxic_body_is_read_as_json_without_a_content_type(proxy: NetfaultProxy, admin: httpx.Client) -> None:
    body = b'{"type": "latency", "name": "slow", "latency_ms": 50, "jitter_ms": 5}'

    response = admin.post("/toxics", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert response.status_code == 201
    assert admin.get("/toxics/slow").json()["latency_ms"] == 50
    assert proxy.toxics()[0].name == "slow"


def test_deleting_a_toxic_over_http_restores_forwarding(proxy: NetfaultProxy, admin: httpx.Client) -> None:
    admin.post("/toxics", json={"type": "down"})

    assert admin.delete("/toxics/down").status_code == 204
    assert echoes(proxy)


def test_disable_and_enable_over_http(proxy: NetfaultProxy, admin: httpx.Client) -> None:
    assert admin.post("/proxy/disable").json()["listening"] is False
    with pytest.raises(ConnectionRefusedError):
        echoes(proxy)

    assert admin.post("/proxy/enable").json()["listening"] is True
    assert echoes(proxy)


def test_reset_over_http_clears_toxics(proxy: NetfaultProxy, admin: httpx.Client) -> None:
    admin.post("/toxics", json={"type": "blackhole"})

    assert admin.post("/reset").json()["toxics"] == []
    assert echoes(proxy)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "latency"}, "latency_ms"),
        ({"type": "latency", "latency_ms": "slow"}, "latency_ms"),
        ({"type": "bandwidth", "rate": -5}, "rate"),
        ({"type": "latency", "latency_ms": 5, "direction": "sideways"}, "direction"),
        ({"type": "down", "colour": "red"}, "colour"),
        ({"type": "teleport"}, "type"),
        ({"latency_ms": 5}, "type"),
    ],
)
def test_a_bad_toxic_is_refused_naming_the_field(admin: httpx.Client, body, field) -> None:
    response = admin.post("/toxics", json=body)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert admin.get("/toxics").json() == []


@pytest.mark.parametrize(
    ("body", "field", "bound"),
    [
        ({"type": "latency", "latency_ms": 1e30}, "latency_ms", "600000"),
        ({"type": "latency", "latency_ms": 5, "jitter_ms": 600_001}, "jitter_ms", "600000"),
        ({"type": "reset_peer", "timeout_ms": 1e12}, "timeout_ms", "600000"),
        ({"type": "slow_close", "delay_ms": 1e9}, "delay_ms", "600000"),
        ({"type": "bandwidth", "rate": 1e-30}, "rate", "0.001"),
        ({"type": "bandwidth", "rate": 1e30}, "rate", "10000000"),
    ],
)
def test_a_toxic_number_out_of_bounds_is_refused_saying_the_bound(admin: httpx.Client, body, field, bound) -> None:
    response = admin.post("/toxics", json=body)

    assert response.status_code == 422
    assert response.json()["field"] == field and bound in response.json()["message"]
    assert admin.get("/toxics").json() == []


def test_a_duplicate_toxic_name_is_a_conflict(admin: httpx.Client) -> None:
    admin.post("/toxics", json={"type": "blackhole"})

    response = admin.post("/toxics", json={"type": "blackhole"})

    assert response.status_code == 409
    assert response.json()["field"] == "name"


def test_an_unknown_toxic_is_not_found(admin: httpx.Client) -> None:
    assert admin.delete("/toxics/nope").status_code == 404
    assert admin.get("/toxics/nope").status_code == 404


def test_the_admin_api_reports_health(admin: httpx.Client) -> None:
    assert admin.get("/health").json() == {"status": "healthy", "listening": True}
