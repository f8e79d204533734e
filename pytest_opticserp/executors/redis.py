"""Redis servers as handles tests can stop and start: a local process, or an external server."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

from fiscal.redact import redact_url
from pytest_opticserp.executors.base import ServerProcess, ServerStartError, ServiceControlError
from pytest_opticserp.waiting import EventuallyTimeout, eventually

HOST = "127.0.0.1"


def answers_ping(host: str, port: int, password: str | None = None, timeout: float = 0.5) -> bool:
    """True when a Redis server at host:port answers PING (plain RESP, no client library needed)."""
    return _ask(host, port, "PING", password, timeout) == b"+PONG"


def server_pid(host: str, port: int, timeout: float = 0.5) -> int | None:
    """The process id the Redis server at host:port reports, or None if nobody answers."""
    reply = _ask(host, port, "INFO server", None, timeout)
    match = re.search(rb"process_id:(\d+)", reply or b"")
    return int(match.group(1)) if match else None


def _ask(host: str, port: int, command: str, password: str | None, timeout: float) -> bytes | None:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock, sock.makefile("rb") as replies:
            if password:
                sock.sendall(f"AUTH {password}\r\n".encode())
                if not replies.readline().startswith(b"+OK"):
                    return None
            sock.sendall(command.encode() + b"\r\n")
            first = replies.readline().rstrip(b"\r\n")
            if first.startswith(b"$"):
                return replies.read(int(first[1:]) + 2)
            return first
    except (OSError, ValueError):
        return None


class RedisServer:
    """A redis-server process on 127.0.0.1 with no persistence; `stop()` then `start()` keeps the port."""

    backend = "local"

    def __init__(self, executable: str, port: int, workdir: Path, startup_timeout: float, version: str = "") -> None:
        self.executable = executable
        self.version = version
        self.host = HOST
        self.port = port
        self.workdir = workdir
        self.logfile = workdir / "redis-server.log"
        self.startup_seconds: float | None = None
        command = [
            executable, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", str(workdir), "--logfile", "",
        ]
        self._process = ServerProcess(
            f"redis-server on {HOST}:{port}", command, logfile=self.logfile, cwd=workdir,
            is_ready=self._answers_as_itself, startup_timeout=startup_timeout,
        )

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def _answers_as_itself(self) -> bool:
        """Ready when the server on our port is our process, not one that held the port before."""
        return self.pid is not None and server_pid(self.host, self.port) == self.pid

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def running(self) -> bool:
        return self._process.running()

    def start(self) -> RedisServer:
        began = time.perf_counter()
        self._process.start()
        self.startup_seconds = time.perf_counter() - began
        return self

    def stop(self) -> None:
        self._process.stop()

    def close(self) -> None:
        self.stop()

    def describe(self) -> str:
        return f"local ({self.executable} {self.version})"

    def __repr__(self) -> str:
        return f"<RedisServer {self.url} pid={self.pid}>"


class ExternalRedis:
    """A Redis someone else runs; the session only connects to it, so it cannot be stopped or started."""

    backend = "external"
    pid = None

    def __init__(self, url: str, startup_timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise ServerStartError(f"{url!r} is not a Redis URL (expected redis://host:port/db)")
        self.url = url
        self.host = parts.hostname
        self.port = parts.port or 6379
        self.password = parts.password
        self.startup_timeout = startup_timeout
        self.startup_seconds: float | None = None

    def running(self) -> bool:
        return answers_ping(self.host, self.port, self.password)

    def start(self) -> ExternalRedis:
        """Wait until the external server answers; it is not ours to launch."""
        began = time.perf_counter()
        try:
            eventually(self.running, f"an answer to PING at {redact_url(self.url)}", timeout=self.startup_timeout)
        except EventuallyTimeout:
            message = (f"external Redis is not reachable: nobody answers PING at {redact_url(self.url)} "
                       f"(waited {self.startup_timeout} s)")
            raise ServerStartError(message) from None
        self.startup_seconds = time.perf_counter() - began
        return self

    def stop(self) -> None:
        raise ServiceControlError(
            f"the external Redis at {redact_url(self.url)} belongs to someone else and cannot be stopped by the tests; "
            "use the local backend (--opticserp-backend=local) for Redis-down scenarios"
        )

    def close(self) -> None:
        """Nothing to release: the session never owned the server."""

    def describe(self) -> str:
        return f"external ({redact_url(self.url)})"
