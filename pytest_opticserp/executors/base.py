"""The one way to start a server process, wait until it answers, and stop it by its PID.

Written by hand rather than with mirakuru because the plugin needs three things mirakuru does not give
directly: running the server as another (unprivileged) user, stopping with a per-server signal sent to the
server's PID only (PostgreSQL's backends must not get the postmaster's shutdown signal), and start-up
errors that quote the tail of the server's log. `stop_process` is the same stop for a process known only
by its PID (the dev stack's `down` from another terminal); waiting is `waiting.eventually`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import psutil

from pytest_opticserp.waiting import EventuallyTimeout, eventually

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


def stop_process(process: psutil.Process, stop_signal: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """The stop signal to the process, then SIGKILL to whatever remains of its process group.

    Servers run in their own session, so the group is theirs alone; a PostgreSQL backend left behind by
    its postmaster is still in it.
    """
    group = _group_members(process.pid)
    with contextlib.suppress(psutil.NoSuchProcess):
        process.send_signal(stop_signal)
    alive = wait_gone([process], timeout)
    leftovers = {p.pid: p for p in [*alive, *group, *_group_members(process.pid)]}
    for leftover in leftovers.values():
        with contextlib.suppress(psutil.NoSuchProcess):
            leftover.kill()
    wait_gone(list(leftovers.values()), 5.0)


def wait_gone(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until the processes have exited; those still running at the deadline.

    A zombie counts as gone: its parent (this process, or init for a detached service) reaps it later,
    and psutil's own wait would wait for that.
    """
    def alive() -> list[psutil.Process]:
        return [process for process in processes if _is_alive(process)]

    try:
        eventually(lambda: not alive(), "the processes to exit", timeout=timeout, interval=POLL_INTERVAL)
    except EventuallyTimeout:
        pass
    return alive()


def _is_alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _group_members(pgid: int) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter():
        with contextlib.suppress(ProcessLookupError, PermissionError, psutil.Error):
            if process.pid != pgid and os.getpgid(process.pid) == pgid:
                members.append(process)
    return members


def log_tail(logfile: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = logfile.read_text(errors="replace")
    except OSError:
        return f"(no log at {logfile})"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else f"({logfile} is empty)"


class LaunchedProcess(Protocol):
    """What `ServerProcess` needs of a started process: a `subprocess.Popen`, or a forked adapter."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class Launcher(Protocol):
    """How a `ServerProcess` comes to exist: `SPAWN` (exec the command) or the fork launcher (`executors.warm`)."""

    def launch(self, command: Sequence[str], *, logfile: Path, cwd: Path | None, env: dict[str, str] | None,
               run_as: RunAs | None = None, pass_fds: Sequence[int] = ()) -> LaunchedProcess: ...


class Spawn:
    """Execute the command in its own session, stdout and stderr to the log."""

    def launch(self, command: Sequence[str], *, logfile: Path, cwd: Path | None, env: dict[str, str] | None,
               run_as: RunAs | None = None, pass_fds: Sequence[int] = ()) -> subprocess.Popen[bytes]:
        extra = run_as.popen_kwargs() if run_as is not None else {}
        with open(logfile, "ab") as log:
            return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
                list(command), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=cwd, env=env, start_new_session=True, pass_fds=tuple(pass_fds), **extra,
            )


SPAWN = Spawn()

_running: set[ServerProcess] = set()


class ServerProcess:
    """One server process; `start()` returns once `is_ready()` is true, `stop()` ends it by PID.

    Without `is_ready` it is a process that runs to its end (a Locust run, a command expected to fail):
    `start()` returns once it is launched, and `wait(timeout)` gives its exit code.

    It may be started again after a stop (same command, same port), which is what "Redis down and back"
    scenarios need. It runs in its own session so that a Ctrl-C in the terminal reaches pytest only, and
    pytest's teardown decides the order in which servers stop. `launcher` says how it comes to exist (a new
    process by default; a fork of a warm parent for the adapter, see `executors.warm`).
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        logfile: Path,
        is_ready: Callable[[], bool] | None = None,
        startup_timeout: float = 30.0,
        shutdown_timeout: float = 10.0,
        stop_signal: int = signal.SIGTERM,
        cwd: Path | None = None,
        run_as: RunAs | None = None,
        env: dict[str, str] | None = None,
        launcher: Launcher = SPAWN,
        pass_fds: Sequence[int] = (),
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
        self.launcher = launcher
        self.pass_fds = list(pass_fds)
        self._process: LaunchedProcess | None = None
        self.returncode: int | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> ServerProcess:
        if self.running():
            return self
        self._process = self.launcher.launch(self.command, logfile=self.logfile, cwd=self.cwd, env=self.env,
                                             run_as=self.run_as, pass_fds=self.pass_fds)
        _running.add(self)
        self.returncode = None
        if self.is_ready is None:
            return self
        try:
            eventually(self._ready_or_exited, f"{self.name} to become ready", timeout=self.startup_timeout,
                       interval=POLL_INTERVAL)
        except EventuallyTimeout:
            message = self._not_ready_message()
            self.stop()
            raise ServerStartError(message) from None
        if not self.running():
            code = self.returncode = self._process.returncode
            self._process = None
            _running.discard(self)
            raise ServerStartError(
                f"{self.name} exited with code {code} before it was ready ({' '.join(self.command)}).\n"
                f"Last lines of {self.logfile}:\n{log_tail(self.logfile)}"
            )
        return self

    def _ready_or_exited(self) -> bool:
        assert self.is_ready is not None
        return not self.running() or self.is_ready()

    def wait(self, timeout: float) -> int:
        """The exit code once the process has ended; TimeoutError (the process left running) if it has not."""
        if self._process is None:
            if self.returncode is None:
                raise ServiceControlError(f"{self.name} was not started")
            return self.returncode
        try:
            self.returncode = self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"{self.name} still runs after {timeout:g} s ({' '.join(self.command)})") from None
        return self.returncode

    def _not_ready_message(self) -> str:
        return (
            f"{self.name} did not become ready within {self.startup_timeout} s ({' '.join(self.command)}).\n"
            f"Last lines of {self.logfile}:\n{log_tail(self.logfile)}"
        )

    def signal_group(self, signum: int) -> None:
        """Send `signum` to the whole process group, as a terminal's Ctrl-C does (then `wait()` for the exit)."""
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signum)

    def stop(self) -> None:
        """Send the stop signal to the server's PID; kill its whole process group if it lingers."""
        process, self._process = self._process, None
        _running.discard(self)
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                stop_process(psutil.Process(process.pid), self.stop_signal, self.shutdown_timeout)
        # The group outlives a leader that has already exited when it left children behind.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        self.returncode = process.wait()

    def __repr__(self) -> str:
        return f"<ServerProcess {self.name} pid={self.pid}>"


@atexit.register
def _stop_leftovers() -> None:
    """Last safety net: nothing the plugin started outlives the Python process that started it."""
    for server in list(_running):
        with contextlib.suppress(Exception):
            server.stop()
