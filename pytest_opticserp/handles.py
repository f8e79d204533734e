"""What every server handle a fixture yields has in common, so tests and factories can be typed against it.

Redis, PostgreSQL, the emulators, the fault proxy and the adapter are different servers with different
helpers, but a test that starts, stops or points something at one of them needs only this much.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class ServerHandle(Protocol):
    """A server on `url` (`host`:`port`) that `stop()` brings down and `start()` brings back on the same port."""

    @property
    def url(self) -> str: ...

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    def start(self) -> object: ...

    def stop(self) -> None: ...


@runtime_checkable
class ServiceHandle(ServerHandle, Protocol):
    """A backing service (Redis, PostgreSQL) from a backend: `pid` is None unless it is our own process."""

    backend: str

    @property
    def pid(self) -> int | None: ...

    def running(self) -> bool: ...

    def describe(self) -> str: ...

    def close(self) -> None: ...
