"""A server subprocess that is started, waited for until it answers, and stopped by its PID.

Written by hand rather than with mirakuru because the plugin needs three things mirakuru does not give
directly: running the server as another (unprivileged) user, stopping with a per-server signal sent to the
server's PID only (PostgreSQL's backends must not get the postmaster's shutdown signal), and start-up
errors that quote the tail of the server's log.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

POLL_INTERVAL = 0.01
LOG_TAIL_LINES = 20


class ServerStartError(RuntimeError):
    """A server did not become ready; the message says why and quotes its log."""


class ServiceControlError(RuntimeError):
    """A handle was asked for something its backend cannot do (e.g. stopping an external server)."""


@dataclass(frozen=True)
class RunAs:
    """An unprivileged account to run a server as (PostgreSQL refuses to run as root)."""

    name: str
    uid: int
    gid: int

    @classmethod
    def lookup(cls, name: str) -> RunAs:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise ServerStartError(f"user {name!r} does not exist; it is needed to run a server without root") from None
        return cls(name=name, uid=entry.pw_uid, gid=entry.pw_gid)

    def popen_kwargs(self) -> dict[str, object]:
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def chown_tree(self, root: Path) -> None:
        os.chown(root, self.uid, self.gid)
        for directory, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                os.chown(os.path.join(directory, name), self.uid, self.gid, follow_symlinks=False)


def wait_until(condition: Callable[[], bool], timeout: float, describe: Callable[[], str]) -> None:
    """Poll `condition` until true; on the deadline raise TimeoutError with `describe()` as the message."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(describe())
        time.sleep(POLL_INTERVAL)


def log_tail(logfile: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = logfile.read_text(errors="replace")
    except OSError:
        return f"(no log at {logfile})"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else f"({logfile} is empty)"


_running: set[ServerProcess] = set()


class ServerProcess:
    """One server process; `start()` returns once `is_ready()` is true, `stop()` ends it by PID.

    It may be started again after a stop (same command, same port), which is what "Redis down and back"
    scenarios need. It runs in its own session so that a Ctrl-C in the terminal reaches pytest only, and
    pytest's teardown decides the order in which servers stop.
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        logfile: Path,
        is_ready: Callable[[], bool],
        startup_timeout: float,
        shutdown_timeout: float = 10.0,
        stop_signal: int = signal.SIGTERM,
        cwd: Path | None = None,
        run_as: RunAs | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.logfile = logfile
        self.is_ready = is_ready
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout
        self.stop_signal = stop_signal
        self.cwd = cwd
        self.run_as = run_as
        self.env = env
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> ServerProcess:
        if self.running():
            return self
        extra = self.run_as.popen_kwargs() if self.run_as is not None else {}
        with open(self.logfile, "ab") as log:
            self._process = subprocess.Popen(  # type: ignore[call-overload]
                self.command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.cwd, env=self.env, start_new_session=True, **extra,
            )
        _running.add(self)
        try:
            wait_until(self._ready_or_exited, self.startup_timeout, self._not_ready_message)
        except TimeoutError as exc:
            self.stop()
            raise ServerStartError(str(exc)) from None
        if not self.running():
            code = self._process.returncode
            self._process = None
            raise ServerStartError(
                f"{self.name} exited with code {code} before it was ready ({' '.join(self.command)}).\n"
                f"Last lines of {self.logfile}:\n{log_tail(self.logfile)}"
            )
        return self

    def _ready_or_exited(self) -> bool:
        return not self.running() or self.is_ready()

    def _not_ready_message(self) -> str:
        return (
            f"{self.name} did not become ready within {self.startup_timeout} s ({' '.join(self.command)}).\n"
            f"Last lines of {self.logfile}:\n{log_tail(self.logfile)}"
        )

    def stop(self) -> None:
        """Send the stop signal to the server's PID; kill its whole process group if it lingers."""
        process, self._process = self._process, None
        _running.discard(self)
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(self.stop_signal)
            try:
                process.wait(self.shutdown_timeout)
            except subprocess.TimeoutExpired:
                pass
        # The group outlives the leader when it leaves children behind (e.g. PostgreSQL backends).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def __repr__(self) -> str:
        return f"<ServerProcess {self.name} pid={self.pid}>"


@atexit.register
def _stop_leftovers() -> None:
    """Last safety net: nothing the plugin started outlives the Python process that started it."""
    for server in list(_running):
        with contextlib.suppress(Exception):
            server.stop()
