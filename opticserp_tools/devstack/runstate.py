"""The run dir's record of what runs: PIDs, ports, URLs and log files, so that `status`, `logs` and `down`
work from any terminal, and after the `up` that started the services has exited (`--detach`).

A PID is only trusted together with the process's start time, so a PID reused after a reboot is never
signalled. Stopping by PID is the executors' own stop (`executors.base.stop_process`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from pytest_opticserp.ports import loopback_port_taken

STATE_FILE = "stack.json"
LOCK_FILE = "stack.lock"
START_TIME_TOLERANCE = 0.05


@dataclass
class ServiceRecord:
    name: str
    title: str
    pid: int
    started: float
    port: int
    url: str
    log: str
    stop_signal: int
    probe: dict[str, str]
    owner_pid: int | None = None
    owner_started: float | None = None

    def process(self) -> psutil.Process | None:
        return live_process(self.pid, self.started)

    def owner(self) -> psutil.Process | None:
        if self.owner_pid is None or self.owner_started is None:
            return None
        return live_process(self.owner_pid, self.owner_started)


@dataclass
class RunState:
    services: dict[str, ServiceRecord] = field(default_factory=dict)


class RunDir:
    """`.opticserp/`: the state file, guarded by a lock, since two `opticserp` commands may run at once."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def update(self) -> Iterator[RunState]:
        """Read, let the caller change, and write back the state, holding the lock throughout."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / LOCK_FILE, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = self._load()
                yield state
                self._save(state)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def read(self) -> RunState:
        return self._load()

    def _load(self) -> RunState:
        try:
            raw = json.loads((self.path / STATE_FILE).read_text())
        except (OSError, ValueError):
            return RunState()
        services = {}
        for name, record in raw.get("services", {}).items():
            with contextlib.suppress(TypeError):
                services[name] = ServiceRecord(**record)
        return RunState(services)

    def _save(self, state: RunState) -> None:
        target = self.path / STATE_FILE
        if not state.services:
            target.unlink(missing_ok=True)
            return
        partial = target.with_suffix(".tmp")
        body = {"services": {name: asdict(record) for name, record in state.services.items()}}
        partial.write_text(json.dumps(body, indent=2) + "\n")
        partial.replace(target)


def live_process(pid: int, started: float) -> psutil.Process | None:
    """The process `pid` if it is the one that started at `started` and has not exited (zombies have)."""
    try:
        process = psutil.Process(pid)
        if abs(process.create_time() - started) > START_TIME_TOLERANCE:
            return None
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return process


def start_time(pid: int) -> float:
    return psutil.Process(pid).create_time()


@dataclass(frozen=True)
class BusyPort:
    port: int
    owner: str

    def describe(self) -> str:
        return f"port {self.port} is in use by {self.owner}"


def busy(port: int) -> BusyPort | None:
    """Who holds `port` on the loopback interface, or None when our service can have it.

    IPv6 counts too: with something on [::1]:port, `curl localhost:port` would reach it instead.
    """
    if not loopback_port_taken(port):
        return None
    return BusyPort(port, port_owner(port))


def port_owner(port: int) -> str:
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        connections = []
    for connection in connections:
        if connection.status == psutil.CONN_LISTEN and connection.laddr and connection.laddr.port == port:
            if connection.pid is None:
                break
            return describe_process(connection.pid)
    return "another process (not visible to this user; `ss -ltnp` as root names it)"


def describe_process(pid: int) -> str:
    try:
        process = psutil.Process(pid)
        command = " ".join(process.cmdline()) or process.name()
    except psutil.Error:
        return f"pid {pid}"
    if len(command) > 100:
        command = command[:97] + "..."
    return f"pid {pid} ({command})"
