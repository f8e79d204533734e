"""The life cycle every in-process HTTP emulator shares: a uvicorn server on a loopback port in a thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

from emulators.serving import ServerThread


class HttpEmulatorHandle:
    """Start/stop (or `with`) an emulator app; `url` is valid once started."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0,
                 on_shutdown: Callable[[], None] | None = None) -> None:
        self.app = app
        self._server = ServerThread(app, host=host, port=port, on_shutdown=on_shutdown)

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
