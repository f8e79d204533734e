"""`NetfaultProxy`: a `ToxicProxy` on its own event loop in a background thread, driven from any thread.

The proxy must keep forwarding while a test blocks on a synchronous client, so it cannot share the
caller's loop. Every method hands a coroutine to the proxy's loop and waits for it; the loop is the
proxy's only owner, so no lock is needed beyond that hand-over.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager, suppress
from typing import Any, Self, TypeVar

from emulators._loop_thread import LoopThread
from emulators.netfault.proxy import ToxicProxy
from emulators.netfault.toxics import Toxic, build_toxic, toxic_to_json

T = TypeVar("T")


def parse_address(address: str | tuple[str, int]) -> tuple[str, int]:
    """`"host:port"` (or a tuple) → (host, port); ValueError says what is wrong."""
    if isinstance(address, tuple):
        host, port = address
    else:
        host, sep, raw_port = address.rpartition(":")
        if not sep or not host or not raw_port.isdigit():
            raise ValueError(f"expected HOST:PORT, got {address!r}")
        port = int(raw_port)
    if not 0 < port < 65536:
        raise ValueError(f"port must be 1..65535, got {port}")
    return host.strip("[]"), port


class NetfaultProxy:
    """Forwards `host:port` → `upstream` through toxics; start/stop or use as a context manager."""

    def __init__(
        self,
        upstream: str | tuple[str, int],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
        connect_timeout: float = 5.0,
        call_timeout: float = 10.0,
    ) -> None:
        self.upstream = parse_address(upstream)
        self._core = ToxicProxy(
            self.upstream, host=host, port=port, rng=random.Random(seed), connect_timeout=connect_timeout
        )
        self._loop = LoopThread("netfault", call_timeout, "the proxy")

    @property
    def host(self) -> str:
        return self._core.host

    @property
    def port(self) -> int:
        return self._core.port

    @property
    def address(self) -> tuple[str, int]:
        return self._core.host, self._core.port

    @property
    def url(self) -> str:
        """`http://host:port` of the listener, for proxying an HTTP upstream."""
        return f"http://{self._core.host}:{self._core.port}"

    def start(self) -> Self:
        self._loop.start()
        try:
            self._call(self._core.start())
        except BaseException:
            self.stop()
            raise
        self._loop.rename(f"netfault:{self.port}")
        return self

    def stop(self) -> None:
        self._loop.stop(self._core.close())

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.call(coro)

    def _get(self, read: Callable[[], T]) -> T:
        """Read proxy state on its own loop, so a reader never sees it half-changed."""
        return self._loop.on_loop(read)

    def add(self, toxic: Toxic) -> Toxic:
        """Activate a built toxic; ValueError if one with its name is active."""
        return self._call(self._core.add_toxic(toxic))

    def add_toxic(self, type: str, name: str | None = None, **params: Any) -> Toxic:
        """E.g. `add_toxic("latency", latency_ms=200, jitter_ms=20)`; the name defaults to the type."""
        return self.add(build_toxic({"type": type, "name": name, **params}))

    def remove_toxic(self, name: str) -> Toxic:
        """Deactivate; KeyError if no toxic has that name."""
        return self._call(self._core.remove_toxic(name))

    @contextmanager
    def toxic(self, type: str, name: str | None = None, **params: Any) -> Iterator[Toxic]:
        """Active for the `with` block only: `with proxy.toxic("latency", latency_ms=200): ...`."""
        active = self.add_toxic(type, name, **params)
        try:
            yield active
        finally:
            with suppress(KeyError):
                self.remove_toxic(active.name)

    def toxics(self) -> list[Toxic]:
        return self._get(self._core.toxics)

    def disable(self) -> None:
        """Close the listener (connections refused) and drop open connections."""
        self._call(self._core.set_enabled(False))

    def enable(self) -> None:
        """Re-bind the same port."""
        self._call(self._core.set_enabled(True))

    @property
    def enabled(self) -> bool:
        return self._get(lambda: self._core.enabled)

    @property
    def listening(self) -> bool:
        return self._get(lambda: self._core.listening)

    @property
    def connection_count(self) -> int:
        return self._get(lambda: self._core.connection_count)

    def reset(self) -> None:
        """Remove every toxic and enable the proxy."""
        self._call(self._core.reset())

    def describe(self) -> dict[str, Any]:
        def snapshot() -> dict[str, Any]:
            core = self._core
            return {
                "listen": f"{core.host}:{core.port}",
                "upstream": f"{self.upstream[0]}:{self.upstream[1]}",
                "enabled": core.enabled,
                "listening": core.listening,
                "connections": core.connection_count,
                "toxics": [toxic_to_json(t) for t in core.toxics()],
            }

        return self._get(snapshot)
