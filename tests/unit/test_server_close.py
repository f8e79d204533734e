"""The fault proxy stopped while clients keep connecting leaves no connection half-open for the garbage collector.

On Python 3.13.0 such a connection is a failure of whatever test runs when it is collected (asyncio raises
TypeError from the transport's finalizer); on every Python it is a leaked socket. Clients connect in a tight
loop from threads while the server is stopped, and the collected garbage is then searched for server-side
transports nobody closed. (The HTTP servers run on uvloop, which accepts in one step and has no such window.)
"""

from __future__ import annotations

import gc
import socket
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from emulators.netfault.handle import NetfaultProxy
from pytest_opticserp import eventually

ROUNDS = 6


def connect_and_leave(port: int, stop: threading.Event, connected: list[int]) -> None:
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1) as client:
                client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                connected.append(1)
        except OSError:
            pass


@contextmanager
def clients_connecting(port: int, threads: int = 4) -> Iterator[None]:
    stop, connected = threading.Event(), []
    workers = [threading.Thread(target=connect_and_leave, args=(port, stop, connected)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        eventually(lambda: len(connected) >= threads, "the clients to be connecting", timeout=10)
        yield
    finally:
        stop.set()
        for worker in workers:
            worker.join(10)


def unclosed_server_transports(stop_a_server_under_connections: Callable[[], None]) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(ROUNDS):
            stop_a_server_under_connections()
            gc.collect()
    return [str(warning.message) for warning in caught
            if "unclosed transport" in str(warning.message) and getattr(warning.source, "_server", None) is not None]


def test_the_fault_proxy_stopped_or_disabled_under_connecting_clients_leaves_none_half_open() -> None:
    upstream = socket.create_server(("127.0.0.1", 0))

    def round_() -> None:
        proxy = NetfaultProxy(upstream.getsockname()).start()
        try:
            with clients_connecting(proxy.port):
                proxy.disable()
                proxy.enable()
        finally:
            with clients_connecting(proxy.port):
                proxy.stop()

    try:
        assert unclosed_server_transports(round_) == []
    finally:
        upstream.close()
