"""Port reservation through files in a directory every xdist worker of the run shares.

port-for picks a port nobody listens on; creating `<port>.port` exclusively claims it, so two workers that
pick the same free port at the same moment cannot both take it. The claim lasts until the server is torn
down, so a server stopped mid-test keeps its port for the restart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import port_for
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
        candidate = port_for.select_random(exclude_ports=tried)
        tried.add(candidate)
        reservation = _claim(port_dir, service, candidate)
        if reservation is not None:
            return reservation
    raise port_for.PortForException(f"no free port for {service} after {ATTEMPTS} tries: {sorted(tried)}")


def _claim(port_dir: Path, service: str, port: int) -> PortReservation | None:
    path = port_dir / f"opticserp-{port}.port"
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return None
    with os.fdopen(fd, "w") as file:
        file.write(f"{service} pid={os.getpid()}\n")
    return PortReservation(port, path)
