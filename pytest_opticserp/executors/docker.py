"""Redis and PostgreSQL in containers, for machines with a Docker engine (testcontainers, imported lazily).

Our own machines have no Docker engine, so this path is only chosen when `backends` finds one; the
container's port is bound to 127.0.0.1 on a port we reserved, so a stopped Redis comes back on the same URL.
"""

from __future__ import annotations

import time
from typing import Any

from pytest_opticserp.executors.base import ServerStartError
from pytest_opticserp.executors.postgresql import ExternalPostgreSQL, can_connect
from pytest_opticserp.executors.redis import HOST, answers_ping
from pytest_opticserp.waiting import EventuallyTimeout, eventually


def _container(image: str, container_port: int, host_port: int, env: dict[str, str]) -> Any:
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(image).with_bind_ports(container_port, (HOST, host_port))
    for name, value in env.items():
        container = container.with_env(name, value)
    return container


class _InContainer:
    """What both servers share: the image, the container once started, and removing it at the end."""

    backend = "docker"

    def __init__(self, image: str) -> None:
        self.image = image
        self._container: Any = None

    def close(self) -> None:
        if self._container is not None:
            self._container.stop()
            self._container = None

    def describe(self) -> str:
        return f"docker ({self.image})"


class RedisContainerServer(_InContainer):
    """Redis in a container; `stop()`/`start()` stop and restart the same container on the same port."""

    pid = None

    def __init__(self, image: str, port: int, startup_timeout: float) -> None:
        super().__init__(image)
        self.host = HOST
        self.port = port
        self.url = f"redis://{HOST}:{port}/0"
        self.startup_timeout = startup_timeout
        self.startup_seconds: float | None = None

    def running(self) -> bool:
        return answers_ping(self.host, self.port)

    def start(self) -> RedisContainerServer:
        began = time.perf_counter()
        if self._container is None:
            self._container = _container(self.image, 6379, self.port, {}).with_command("redis-server --save ''")
            self._container.start()
        else:
            self._container.get_wrapped_container().start()
        try:
            eventually(self.running, f"{self.image} on {self.url} to answer PING", timeout=self.startup_timeout)
        except EventuallyTimeout:
            raise ServerStartError(f"{self.image} on {self.url} does not answer PING") from None
        self.startup_seconds = time.perf_counter() - began
        return self

    def stop(self) -> None:
        if self._container is not None:
            self._container.get_wrapped_container().stop(timeout=5)


class PostgreSQLContainerServer(_InContainer, ExternalPostgreSQL):
    """PostgreSQL in a container, reached like an external server once it is up."""

    PASSWORD = "opticserp"

    def __init__(self, image: str, port: int, startup_timeout: float) -> None:
        ExternalPostgreSQL.__init__(self, f"postgresql://postgres:{self.PASSWORD}@{HOST}:{port}/postgres",
                                    startup_timeout)
        _InContainer.__init__(self, image)

    def start(self) -> PostgreSQLContainerServer:
        if self._container is None:
            self._container = _container(self.image, 5432, self.port, {"POSTGRES_PASSWORD": self.PASSWORD})
            self._container.start()
        super().start()
        return self

    def running(self) -> bool:
        return can_connect(self.url)
