"""Serve an ASGI app on a loopback port from a background thread.

Emulators and tests need real HTTP servers that a Python handle starts and stops; uvicorn in a thread with
its own event loop gives that without a subprocess. The socket is bound before the thread starts, so the
port is known at once and two servers never race for one port.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from fiscal.http_limits import DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADER_COUNT, limited_protocol
from fiscal.http_server import PromptServer


def _header_refusal(problem: str) -> dict[str, Any]:
    return {"status": "error", "field": "headers", "message": problem}


def header_limits(max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
                  max_header_count: int = DEFAULT_MAX_HEADER_COUNT) -> type[asyncio.Protocol]:
    """The HTTP protocol with these caps on header size and count, refused with 431 in the emulators' shape."""
    return limited_protocol(max_header_bytes, max_header_count, error_body=_header_refusal)


# By default 16 KiB and 100 lines; the CLI's --max-header-bytes / --max-header-count change them.
HTTP_PROTOCOL = header_limits()

# Requests still running this long after a stop is asked for are cancelled (their connections dropped).
GRACEFUL_SHUTDOWN_SECONDS = 5


class Server(PromptServer):
    """Uvicorn's server (stopping promptly), calling `on_shutdown` as soon as it starts to stop (SIGTERM,
    Ctrl-C or `stop()`).

    Uvicorn waits for the requests in flight before it exits; an emulator holding answers back on purpose
    (an injected delay) passes a callback that lets them go, so it stops at once instead of after the delay.
    `ready` is set once it serves (or has given up starting), so a starter waits on it instead of polling.
    """

    def __init__(self, config: uvicorn.Config, on_shutdown: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self._on_shutdown = on_shutdown
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()  # started, or failed (should_exit set): either way the starter looks now

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._on_shutdown is not None:
            self._on_shutdown()
        await super().shutdown(sockets)


def serve(app: Any, *, host: str, port: int, log_level: str, on_shutdown: Callable[[], None] | None = None,
          http: type[asyncio.Protocol] = HTTP_PROTOCOL) -> None:
    """Serve `app` in the foreground until a signal stops it (the standalone emulators' `uvicorn.run`)."""
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, http=http,
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
    try:
        Server(config, on_shutdown).run()
    except KeyboardInterrupt:  # uvicorn raises Ctrl-C again once it has shut down; stopping is what was asked
        pass


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket; port 0 lets the kernel pick a free one."""
    # proto must be IPPROTO_TCP, not 0: accepted sockets inherit it, and asyncio only sets TCP_NODELAY on
    # sockets whose proto is TCP; without it every response waits ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


@dataclass
class ServerThread:
    """A running uvicorn server; use as a context manager or call `start()`/`stop()`."""

    app: Any
    host: str = "127.0.0.1"
    port: int = 0
    log_level: str = "warning"
    startup_timeout: float = 10.0
    on_shutdown: Callable[[], None] | None = None
    http: type[asyncio.Protocol] = HTTP_PROTOCOL
    _server: Server | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)
    _error: BaseException | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level=self.log_level, lifespan="on", access_log=False, http=self.http,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        self._server = Server(config, self.on_shutdown)
        self._thread = threading.Thread(target=self._run, args=(sock,), name=f"uvicorn:{self.port}", daemon=True)
        self._thread.start()
        if not self._server.ready.wait(self.startup_timeout):
            self.stop()
            raise TimeoutError(f"server on {self.url} did not start within {self.startup_timeout}s")
        if not self._server.started:
            self._thread.join(self.startup_timeout)
            raise RuntimeError(f"server on {self.url} failed to start: {self._error!r}")
        return self

    def _run(self, sock: socket.socket) -> None:
        server = self._server
        assert server is not None
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the thread that called start()
            self._error = exc
        finally:
            sock.close()
            server.ready.set()  # a failure before startup (e.g. the lifespan raised) ends the wait too

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._server = None
        self._thread = None

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
