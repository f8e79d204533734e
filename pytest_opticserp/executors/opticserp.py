"""Our own services as processes: `opticserp adapter` and `opticserp emulator ...`, ready when they answer.

A test that kills the adapter with SIGKILL, or a developer stack that runs each part in its own process,
needs the real command, not an in-process server. Readiness is an HTTP health URL answering; stopping is by
PID (SIGTERM, then SIGKILL of the process group).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from pytest_opticserp import http_client
from pytest_opticserp.executors.base import SPAWN, Launcher, ServerProcess


def opticserp_command() -> list[str]:
    """The console script beside this interpreter, else `python -m opticserp_tools` (same CLI)."""
    script = Path(sys.executable).with_name("opticserp")
    if script.exists():
        return [str(script)]
    found = shutil.which("opticserp")
    return [found] if found else [sys.executable, "-m", "opticserp_tools"]


def answers(url: str, accept: tuple[int, ...] = (200,), timeout: float = 0.5) -> bool:
    try:
        return http_client.get(url, timeout=timeout).status_code in accept
    except httpx.HTTPError:
        return False


class OpticserpProcess:
    """One `opticserp ...` process on a fixed port; start, stop, kill and start again on the same port."""

    def __init__(self, name: str, args: Sequence[str], *, port: int, health_path: str, logfile: Path,
                 env: Mapping[str, str] | None = None, cwd: Path | None = None, startup_timeout: float = 30.0,
                 healthy_statuses: tuple[int, ...] = (200,), inherit: Mapping[str, str] | None = None,
                 launcher: Launcher = SPAWN) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.health_url = self.url + health_path
        self.logfile = logfile
        environment = {**(os.environ if inherit is None else inherit), **(env or {})}
        self._process = ServerProcess(
            name, [*opticserp_command(), *args], logfile=logfile,
            is_ready=lambda: answers(self.health_url, healthy_statuses), startup_timeout=startup_timeout,
            cwd=cwd, env=environment, launcher=launcher,
        )
        self.startup_seconds = 0.0

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def running(self) -> bool:
        return self._process.running()

    @property
    def command(self) -> list[str]:
        return list(self._process.command)

    @property
    def returncode(self) -> int | None:
        """How the last run ended (None while it runs or before it has run)."""
        return self._process.returncode

    def start(self) -> OpticserpProcess:
        started = time.perf_counter()
        self._process.start()
        self.startup_seconds = time.perf_counter() - started
        return self

    def stop(self) -> None:
        """Graceful: SIGTERM, then SIGKILL if it lingers."""
        self._process.stop()

    def kill(self) -> None:
        """SIGKILL by PID, as a power cut would: no shutdown code runs."""
        pid = self._process.pid
        if pid is not None and self._process.running():
            os.kill(pid, signal.SIGKILL)
        self._process.stop()

    def close(self) -> None:
        self.stop()

    def update_env(self, changes: Mapping[str, str]) -> None:
        """Environment for the next start (a restart with other settings)."""
        assert self._process.env is not None
        self._process.env.update(changes)

    def log(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")
        except OSError:
            return ""

    def describe(self) -> str:
        return f"{self.name} on {self.url} (pid {self.pid})"
