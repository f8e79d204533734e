"""The one place ports are picked: free ports, claimed ports, and a port that refuses connections.

port-for picks a port nobody listens on, among its "good" ports (unassigned, outside the system's ephemeral
range). Working that set out takes port-for about 8 ms of CPU, and a test that starts an adapter picks two or
three ports: the set is worked out once per process here, and each pick draws from it. In a test run,
`reserve_port` also claims the port by creating `<port>.port` exclusively in a directory every xdist worker
shares, so two workers that pick the same free port at the same moment cannot both take it; the claim lasts
until the server is torn down, so a server stopped mid-test keeps its port for the restart. Tools outside
pytest (the load runner) use `free_ports`; the dev stack asks `loopback_port_taken` before it starts a
service on its fixed port.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import port_for

if TYPE_CHECKING:  # the dev stack uses this module too, without pytest's import cost
    import pytest

ATTEMPTS = 20


@dataclass
class PortReservation:
    port: int
    path: Path

    def release(self) -> None:
        self.path.unlink(missing_ok=True)


def shared_port_dir(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's base temp dir; under xdist, its parent, which all workers share."""
    basetemp = tmp_path_factory.getbasetemp()
    return basetemp.parent if hasattr(config, "workerinput") else basetemp


def reserve_port(port_dir: Path, service: str, port: int | None = None) -> PortReservation:
    """Claim `port`, or a free one when it is None; raise if another worker holds the claim."""
    if port is not None:
        reservation = _claim(port_dir, service, port)
        if reservation is None:
            raise port_for.PortForException(f"port {port} for {service} is already taken by another test worker")
        return reservation
    tried: set[int] = set()
    for _ in range(ATTEMPTS):
        candidate = select_random(exclude=tried)
        tried.add(candidate)
        reservation = _claim(port_dir, service, candidate)
        if reservation is not None:
            return reservation
    raise port_for.PortForException(f"no free port for {service} after {ATTEMPTS} tries: {sorted(tried)}")


def free_ports(count: int = 1) -> list[int]:
    """`count` distinct ports nobody listens on now, unclaimed: for one process that binds them at once."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(select_random(exclude=ports))
    return sorted(ports)


@functools.cache
def good_ports() -> tuple[int, ...]:
    """port-for's good ports, worked out once per process (the ephemeral range is read from the kernel once)."""
    return tuple(sorted(port_for.available_good_ports()))


def select_random(exclude: set[int] | frozenset[int] = frozenset(), tries: int = 100) -> int:
    """A random good port, not in `exclude`, that nobody listens on or holds now (port-for's own check)."""
    candidates = good_ports()
    for _ in range(tries):
        port = random.choice(candidates)
        if port not in exclude and not port_for.port_is_used(port):
            return port
    raise port_for.PortForException(f"no free port among {tries} random picks")


@contextlib.contextmanager
def refusing_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A port bound but not listening while the block runs: every connection to it is refused at once."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        yield int(sock.getsockname()[1])


def loopback_port_taken(port: int) -> bool:
    """Whether something holds `port` on 127.0.0.1 or on [::1] (where `curl localhost:port` may go instead)."""
    return _taken(socket.AF_INET, "127.0.0.1", port) or _taken(socket.AF_INET6, "::1", port)


def _taken(family: int, host: str, port: int) -> bool:
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        return False  # no IPv6 here
    with sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno != errno.EADDRNOTAVAIL  # the address does not exist here: nobody can hold it
    return False


def _claim(port_dir: Path, service: str, port: int) -> PortReservation | None:
    path = port_dir / f"opticserp-{port}.port"
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return None
    with os.fdopen(fd, "w") as file:
        file.write(f"{service} pid={os.getpid()}\n")
    return PortReservation(port, path)
