"""The fork launcher: a warm parent per worker imports the adapter's stack once and forks each adapter from it.

Importing FastAPI, uvicorn, aiohttp, redis and pydantic costs an adapter process about 0.6 s; a test waits
for it every time it gets an adapter. The warm parent (`python -m pytest_opticserp.executors.warm`, started
by `ServerProcess` like any server) pays it once and then, for each request on its socket, forks a child
that becomes `opticserp ...`: its own session, environment, working directory and log, and the command's
own entry point, so it answers and fails exactly as the spawned command would (settings refused: exit 2).

It forks only while it is single-threaded and has opened nothing but its socket, so a child shares nothing a
test could see. The children are the warm parent's: it reaps them and reports how each ended, which is how
`ForkedProcess.returncode` matches a `Popen`'s. Signals go from the test straight to the child's PID.
The warm parent ends its children when it is stopped, or when the test process has gone (its socket closes),
and each child dies with it (PR_SET_PDEATHSIG) if it is killed outright.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import importlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

# The modules an adapter process imports by the time it answers (measured); the rest it imports itself.
ADAPTER_STACK = (
    "opticserp_tools.cli",
    "kkt_adapter.server",
    "kkt_adapter.app",
    "kkt_adapter.settings",
    "kkt_adapter.logs",
    "kkt_adapter.api.errors",
    "uvicorn",
    "uvicorn.config",
    "uvicorn.server",
    "uvicorn.loops.auto",
    "uvicorn.loops.uvloop",
    "uvicorn.lifespan.on",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.websockets.auto",
    "encodings.idna",
)
OPTICSERP_ENTRY = "opticserp_tools.cli:main"
STOP_GRACE = 5.0
ANSWER_TIMEOUT = 30.0
_PR_SET_PDEATHSIG = 1


class WarmLauncher:
    """The test side: starts the warm parent on first use, asks it for children, stops it by PID on `close()`.

    `program` is the command it stands in for (`opticserp_command()`); commands not starting with it are
    refused, since a fork can only become what the warm parent has imported.
    """

    def __init__(self, logfile: Path, program: Sequence[str], *, entry: str = OPTICSERP_ENTRY,
                 preload: Sequence[str] = ADAPTER_STACK, startup_timeout: float = 30.0,
                 env: dict[str, str] | None = None) -> None:
        self.logfile = logfile
        self.program = list(program)
        self.entry = entry
        self.preload = list(preload)
        self.startup_timeout = startup_timeout
        self.env = env
        self._server: Any = None  # the warm parent's ServerProcess
        self._channel: socket.socket | None = None
        self._reader: BinaryIO | None = None
        self._lock = threading.RLock()
        self._closed = False
        self._ended: dict[int, int | None] = {}  # how each child ended, as the warm parent said when closing

    @property
    def pid(self) -> int | None:
        """The warm parent's PID while it runs."""
        return self._server.pid if self._server is not None else None

    def launch(self, command: Sequence[str], *, logfile: Path, cwd: Path | None, env: dict[str, str] | None,
               run_as: Any = None, pass_fds: Sequence[int] = ()) -> ForkedProcess:
        from pytest_opticserp.executors.base import ServiceControlError

        if run_as is not None or pass_fds:
            raise ServiceControlError("the fork launcher cannot run a server as another user or pass it descriptors")
        if list(command[:len(self.program)]) != self.program:
            raise ServiceControlError(f"the fork launcher runs `{' '.join(self.program)} ...` only, "
                                      f"not {' '.join(command)}")
        argv = [self.program[0] if len(self.program) == 1 else "opticserp", *command[len(self.program):]]
        request = {"op": "fork", "entry": self.entry, "argv": argv, "logfile": str(logfile),
                   "cwd": str(cwd) if cwd is not None else None, "env": dict(os.environ if env is None else env)}
        with self._lock:
            if self._closed:
                raise ServiceControlError("the warm launcher is closed (the test session is ending)")
            self._ensure_running()
            reply = self._ask(request)
        return ForkedProcess(reply["pid"], self, list(command))

    def exit_status(self, pid: int) -> int | None:
        """How the child `pid` ended, None while it runs."""
        with self._lock:
            if pid in self._ended:
                return self._ended[pid]
            return self._ask({"op": "status", "pid": pid})["returncode"]

    def close(self) -> None:
        """Have the warm parent end its children (keeping how each ended) and exit; then stop it by its PID."""
        with self._lock:
            self._closed = True
            server, self._server = self._server, None
            if server is not None and server.running():
                with contextlib.suppress(Exception):
                    self._ended.update({int(pid): code for pid, code in self._ask({"op": "close"})["ended"].items()})
            self._close_channel()
            if server is not None:
                server.stop()

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        """One request and its answer; the caller holds the lock."""
        from pytest_opticserp.executors.base import ServiceControlError

        if self._channel is None or self._reader is None:
            raise ServiceControlError(f"the warm launcher is not running; its log: {self.logfile}")
        try:
            self._channel.sendall(json.dumps(request).encode() + b"\n")
            line = self._reader.readline()
        except OSError as exc:
            line, error = b"", exc
        else:
            error = None
        if not line:
            raise ServiceControlError(f"the warm launcher (pid {self.pid}) has gone ({error or 'no answer'}); "
                                      f"its log: {self.logfile}")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise ServiceControlError(f"the warm launcher refused {request['op']}: {reply['error']}")
        return reply

    def _ensure_running(self) -> None:
        """Start the warm parent on first use, or again if it has died (its children died with it)."""
        from pytest_opticserp.executors.base import ServerProcess

        if self._server is not None and self._server.running():
            return
        if self._server is not None:
            self._server.stop()
            self._close_channel()
        ours, theirs = socket.socketpair()
        ours.settimeout(ANSWER_TIMEOUT)
        self._channel, self._reader = ours, ours.makefile("rb")
        command = [sys.executable, "-m", __name__, "--fd", str(theirs.fileno()), *self.preload]
        self._server = ServerProcess("warm launcher", command, logfile=self.logfile, is_ready=self._greeted,
                                     startup_timeout=self.startup_timeout, env=self.env, pass_fds=[theirs.fileno()])
        try:
            self._server.start()
        except BaseException:
            self._server = None
            self._close_channel()
            raise
        finally:
            theirs.close()

    def _greeted(self) -> bool:
        """Ready once the warm parent has said so on its socket (after its imports)."""
        assert self._channel is not None and self._reader is not None
        if not select.select([self._channel], [], [], 0)[0]:
            return False
        return json.loads(self._reader.readline() or b"{}").get("ready") is not None

    def _close_channel(self) -> None:
        for stream in (self._reader, self._channel):
            if stream is not None:
                stream.close()
        self._channel = self._reader = None

    def __repr__(self) -> str:
        return f"<WarmLauncher pid={self.pid}>"


class ForkedProcess:
    """A child of the warm parent, as much of a `subprocess.Popen` as `ServerProcess` uses."""

    def __init__(self, pid: int, launcher: WarmLauncher, args: list[str]) -> None:
        self.pid = pid
        self.args = args
        self.returncode: int | None = None
        self._launcher = launcher

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._launcher.exit_status(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            time.sleep(0.01)
        return code


# The warm parent's side.


class _Stop(Exception):
    """SIGTERM to the warm parent: end the children, then exit."""


def serve(channel: socket.socket, preload: Sequence[str]) -> int:
    """Import `preload`, say ready, then fork and report children until stopped or the test process has gone."""
    for name in preload:
        importlib.import_module(name)
    threads = _thread_count()
    if threads != 1:
        print(f"warm launcher: importing the stack started {threads - 1} thread(s); refusing to fork", file=sys.stderr)
        return 1
    gc.collect()
    gc.freeze()  # the children's first collections then leave the shared pages alone
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD)}
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the test session's to handle, not ours

    def stop(signum: int, frame: Any) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    children: dict[int, int | None] = {}
    reader = channel.makefile("rb")
    try:
        channel.sendall(json.dumps({"ready": os.getpid()}).encode() + b"\n")
        while line := reader.readline():  # b"": the test process has closed its end (or died)
            request = json.loads(line)
            if request["op"] == "close":
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                _end(children)
                channel.sendall(json.dumps({"ended": children}).encode() + b"\n")
                break
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # no stop half-way through a fork
            try:
                _reap(children)
                reply = _answer(request, children, channel, reader, handlers)
                channel.sendall(json.dumps(reply).encode() + b"\n")
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    except (_Stop, BrokenPipeError, ConnectionResetError):
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _end(children)
    return 0


def _answer(request: dict[str, Any], children: dict[int, int | None], channel: socket.socket, reader: BinaryIO,
            handlers: dict[int, Any]) -> dict[str, Any]:
    if request["op"] == "status":
        if request["pid"] not in children:
            return {"error": f"pid {request['pid']} is not a child of this launcher"}
        return {"returncode": children[request["pid"]]}
    if request["op"] == "fork":
        if request["cwd"] is not None and not os.path.isdir(request["cwd"]):
            return {"error": f"no directory {request['cwd']}"}
        threads = _thread_count()
        if threads != 1:
            return {"error": f"the launcher runs {threads} threads; a fork would copy their locks"}
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _become(request, channel, reader, handlers)
        children[pid] = None
        return {"pid": pid}
    return {"error": f"unknown request {request['op']!r}"}


def _become(request: dict[str, Any], channel: socket.socket, reader: BinaryIO, handlers: dict[int, Any]) -> NoReturn:
    """In the child: the process `opticserp <argv>` would be, then its entry point, then exit as Python would."""
    code = 1
    try:
        os.setsid()
        _die_with_parent()
        reader.close()
        channel.close()
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        log = os.open(request["logfile"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        if request["cwd"] is not None:
            os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = list(request["argv"])
        module, _, function = request["entry"].partition(":")
        entry = getattr(importlib.import_module(module), function)
        gc.unfreeze()
        code = _run(entry)
    except BaseException:
        with contextlib.suppress(BaseException):
            sys.excepthook(*sys.exc_info())
    finally:
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(code)


def _run(entry: Any) -> int:
    """The exit code the interpreter would give `entry()` run as a script."""
    try:
        entry()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # as the interpreter does: die by the signal
        os.kill(os.getpid(), signal.SIGINT)
        return 130
    except BaseException:
        sys.excepthook(*sys.exc_info())
        return 1
    return 0


def _die_with_parent() -> None:
    """The child gets SIGKILL if the warm parent is killed outright, so a killed launcher leaves nothing."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _reap(children: dict[int, int | None]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children[pid] = os.waitstatus_to_exitcode(status)


def _end(children: dict[int, int | None]) -> None:
    """SIGTERM to the children still running, SIGKILL to what is left after the grace period."""
    _reap(children)
    running = [pid for pid, code in children.items() if code is None]
    for pid in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    while any(children[pid] is None for pid in running) and time.monotonic() < deadline:
        time.sleep(0.01)
        _reap(children)
    for pid in running:
        if children[pid] is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                children[pid] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _thread_count() -> int:
    """Native threads too (a C library's), which `threading` would not see."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog=f"python -m {__name__}", description="Fork adapters from a warm parent.")
    parser.add_argument("--fd", type=int, required=True, help="the socket to the test process")
    parser.add_argument("preload", nargs="*", help="modules to import before the first fork")
    args = parser.parse_args(argv)
    return serve(socket.socket(fileno=args.fd), args.preload)


if __name__ == "__main__":
    sys.exit(main())
