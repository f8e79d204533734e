"""Each toxic of the fault proxy, observed by a real client through real sockets."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from pydantic import ValidationError

from emulators.netfault import NetfaultProxy
from pytest_opticserp.ports import refusing_port
from pytest_opticserp.waiting import eventually


def connect(proxy: NetfaultProxy, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(proxy.address, timeout=timeout)


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, received = [], 0
    while received < size:
        chunk = sock.recv(min(65536, size - received))
        if not chunk:
            raise ConnectionError(f"closed after {received} of {size} bytes")
        chunks.append(chunk)
        received += len(chunk)
    return b"".join(chunks)


def round_trip(proxy: NetfaultProxy, payload: bytes = b"ping\n") -> float:
    """Seconds to send `payload` through the proxy to the echo server and read it back."""
    with connect(proxy) as sock:
        started = time.monotonic()
        sock.sendall(payload)
        assert recv_exactly(sock, len(payload)) == payload
        return time.monotonic() - started


def test_bytes_pass_through_unchanged_without_toxics(proxy: NetfaultProxy) -> None:
    payload = bytes(range(256)) * 1000

    with connect(proxy) as sock:
        sock.sendall(payload)
        assert recv_exactly(sock, len(payload)) == payload


def test_a_disabled_proxy_refuses_connections(proxy: NetfaultProxy) -> None:
    proxy.disable()

    with pytest.raises(ConnectionRefusedError):
        connect(proxy)


def test_a_disabled_proxy_keeps_its_port_so_no_other_server_answers_in_its_place(proxy: NetfaultProxy) -> None:
    proxy.disable()

    with socket.socket() as other, pytest.raises(OSError):  # as another test's server binding that port would
        other.bind((proxy.host, proxy.port))
    with pytest.raises(ConnectionRefusedError):
        connect(proxy)


def test_re_enabling_listens_on_the_same_port_again(proxy: NetfaultProxy) -> None:
    port = proxy.port
    proxy.disable()

    proxy.enable()

    assert proxy.port == port
    assert round_trip(proxy) < 5


def test_disabling_drops_open_connections(proxy: NetfaultProxy) -> None:
    with connect(proxy) as sock:
        sock.sendall(b"x")
        recv_exactly(sock, 1)

        proxy.disable()

        with pytest.raises(ConnectionError):
            sock.sendall(b"y")
            recv_exactly(sock, 1)


def test_the_down_toxic_refuses_connections_until_removed(proxy: NetfaultProxy) -> None:
    with proxy.toxic("down"):
        with pytest.raises(ConnectionRefusedError):
            connect(proxy)

    assert round_trip(proxy) < 5


def test_blackhole_accepts_the_connection_but_never_answers(proxy: NetfaultProxy) -> None:
    proxy.add_toxic("blackhole")

    with connect(proxy, timeout=0.3) as sock:
        sock.sendall(b"hello?\n")
        with pytest.raises(TimeoutError):
            sock.recv(1)


def test_removing_blackhole_restores_forwarding_on_an_open_connection(proxy: NetfaultProxy) -> None:
    with connect(proxy, timeout=0.3) as sock:
        with proxy.toxic("blackhole"):
            sock.sendall(b"lost\n")
            with pytest.raises(TimeoutError):
                sock.recv(1)

        sock.settimeout(5)
        sock.sendall(b"found\n")
        assert recv_exactly(sock, 6) == b"found\n"


def test_reset_peer_resets_new_connections(proxy: NetfaultProxy) -> None:
    proxy.add_toxic("reset_peer")

    with pytest.raises(ConnectionResetError):
        with connect(proxy) as sock:
            sock.sendall(b"hello\n")
            sock.recv(1)


def test_reset_peer_with_a_timeout_resets_an_open_connection_after_it(proxy: NetfaultProxy) -> None:
    with connect(proxy) as sock:
        sock.sendall(b"x")
        recv_exactly(sock, 1)
        started = time.monotonic()

        proxy.add_toxic("reset_peer", timeout_ms=200)

        with pytest.raises(ConnectionResetError):
            sock.recv(1)
        assert time.monotonic() - started >= 0.15


def test_latency_adds_the_configured_delay_to_a_round_trip(proxy: NetfaultProxy) -> None:
    baseline = round_trip(proxy)

    with proxy.toxic("latency", latency_ms=200):
        slowed = round_trip(proxy)

    assert slowed - baseline >= 0.15


def test_latency_in_both_directions_is_paid_twice(proxy: NetfaultProxy) -> None:
    with proxy.toxic("latency", latency_ms=150, direction="both"):
        slowed = round_trip(proxy)

    assert slowed >= 0.25


def test_latency_does_not_add_up_over_consecutive_chunks(proxy: NetfaultProxy) -> None:
    with connect(proxy) as sock, proxy.toxic("latency", latency_ms=200):
        started = time.monotonic()
        for n in range(5):
            sock.sendall(b"%d" % n)
            time.sleep(0.01)  # separate chunks on purpose, not synchronisation
        assert recv_exactly(sock, 5) == b"01234"
        elapsed = time.monotonic() - started

    assert 0.19 <= elapsed < 0.8


def test_jitter_varies_the_latency_within_its_bounds(proxy: NetfaultProxy) -> None:
    with proxy.toxic("latency", latency_ms=150, jitter_ms=100):
        samples = [round_trip(proxy) for _ in range(5)]

    assert all(0.04 <= s < 1.5 for s in samples)
    assert max(samples) - min(samples) > 0.01


def test_two_latency_toxics_add_up(proxy: NetfaultProxy) -> None:
    with (
        proxy.toxic("latency", name="slow-link", latency_ms=100),
        proxy.toxic("latency", name="slow-dns", latency_ms=100),
    ):
        assert round_trip(proxy) >= 0.18


def test_removing_a_toxic_restores_normal_forwarding(proxy: NetfaultProxy) -> None:
    proxy.add_toxic("latency", latency_ms=300)
    proxy.remove_toxic("latency")

    assert round_trip(proxy) < 0.25


def test_bandwidth_limits_how_fast_a_large_payload_arrives(proxy: NetfaultProxy) -> None:
    payload = b"x" * 256 * 1024
    baseline = round_trip(proxy, payload)

    with proxy.toxic("bandwidth", rate=1024):  # KB/s: 256 KB take ~0.25 s
        limited = round_trip(proxy, payload)

    assert limited >= 0.2
    assert limited > 2 * baseline


def test_slow_close_delays_the_close_after_the_upstream_closes(closing_server: tuple[str, int]) -> None:
    def seconds_until_eof(proxy: NetfaultProxy) -> float:
        with connect(proxy) as sock:
            started = time.monotonic()
            assert recv_exactly(sock, 4) == b"bye\n"
            assert sock.recv(1) == b""
            return time.monotonic() - started

    with NetfaultProxy(closing_server) as proxy:
        prompt = seconds_until_eof(proxy)
        with proxy.toxic("slow_close", delay_ms=300):
            slow = seconds_until_eof(proxy)

    assert slow >= 0.25
    assert slow - prompt >= 0.2


def test_the_toxic_context_manager_removes_the_toxic_on_exit(proxy: NetfaultProxy) -> None:
    with proxy.toxic("latency", latency_ms=10) as toxic:
        assert [t.name for t in proxy.toxics()] == [toxic.name] == ["latency"]

    assert proxy.toxics() == []


def test_a_second_toxic_with_the_same_name_is_refused(proxy: NetfaultProxy) -> None:
    proxy.add_toxic("latency", latency_ms=10)

    with pytest.raises(ValueError, match="already active"):
        proxy.add_toxic("latency", latency_ms=20)


def test_removing_an_unknown_toxic_says_which_are_active(proxy: NetfaultProxy) -> None:
    proxy.add_toxic("blackhole")

    with pytest.raises(KeyError, match="blackhole"):
        proxy.remove_toxic("latency")


@pytest.mark.parametrize(
    ("kind", "params"),
    [("latency", {}), ("latency", {"latency_ms": -1}), ("bandwidth", {"rate": 0}), ("teleport", {})],
)
def test_invalid_toxic_parameters_are_refused_before_anything_changes(proxy: NetfaultProxy, kind, params) -> None:
    with pytest.raises(ValidationError):
        proxy.add_toxic(kind, **params)

    assert proxy.toxics() == []


def test_reset_removes_every_toxic_and_enables_the_proxy(proxy: NetfaultProxy) -> None:
    proxy.add_toxic("latency", latency_ms=500)
    proxy.disable()

    proxy.reset()

    assert (proxy.toxics(), proxy.enabled, proxy.listening) == ([], True, True)
    assert round_trip(proxy) < 0.4


def test_an_unreachable_upstream_resets_the_client() -> None:
    with refusing_port() as port, NetfaultProxy(("127.0.0.1", port)) as proxy, pytest.raises(ConnectionResetError):
        with connect(proxy) as sock:
            sock.sendall(b"anyone?\n")
            sock.recv(1)


def test_closed_connections_are_forgotten(proxy: NetfaultProxy) -> None:
    round_trip(proxy)

    eventually(lambda: proxy.connection_count == 0, "the proxy to drop the finished connection", timeout=5)


async def test_the_proxy_runs_on_its_own_loop_beside_the_callers(echo_server: tuple[str, int]) -> None:
    with NetfaultProxy(echo_server) as proxy:
        reader, writer = await asyncio.open_connection(*proxy.address)
        writer.write(b"from an async test\n")
        assert await asyncio.wait_for(reader.readline(), 5) == b"from an async test\n"
        writer.close()
        await writer.wait_closed()
