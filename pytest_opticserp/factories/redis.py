"""Redis fixture factories: each returns a fixture, so a project declares as many servers as it needs.

    my_redis_proc = redis_proc(port=6390)
    my_redis = redis_client("my_redis_proc")
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest

from pytest_opticserp._lifecycle import record_startup, tracked
from pytest_opticserp.backends import BackendUnavailable, check_backend_name, choose
from pytest_opticserp.config import settings_for
from pytest_opticserp.executors.base import ServerStartError
from pytest_opticserp.executors.redis import ExternalRedis, RedisServer
from pytest_opticserp.handles import ServiceHandle

if TYPE_CHECKING:  # redis-py is imported when a test asks for a client (40 ms at every pytest start otherwise)
    import redis as redis_py
from pytest_opticserp.ports import reserve_port, shared_port_dir

REDIS_DATABASES = 16


def redis_proc(
    port: int | None = None, executable: str | None = None, backend: str | None = None,
    startup_timeout: float | None = None,
) -> Callable[..., Iterator[ServiceHandle]]:
    """A session fixture providing a Redis server from `backend` (default: --opticserp-backend).

    `port=None` takes a free port; `executable` overrides --opticserp-redis-exec.
    """
    check_backend_name(backend)

    @pytest.fixture(scope="session")
    def redis_proc_fixture(request: pytest.FixtureRequest,
                           tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceHandle]:
        """A Redis server for the session (one per xdist worker), on 127.0.0.1, without persistence.

        Yields a handle with `.url`, `.host`, `.port`, `.pid` (None unless a local process), `.running()`,
        and `.stop()` / `.start()`, which bring the same server down and back on the same port.
        """
        settings = settings_for(request.config)
        timeout = startup_timeout or settings.startup_timeout
        try:
            choice = choose("redis", settings, backend, executable or "")
        except BackendUnavailable as exc:
            pytest.fail(str(exc), pytrace=False)
        if choice.backend == "external":
            yield from _serve(request.config, ExternalRedis(_worker_url(choice.location), timeout))
            return
        reservation = reserve_port(shared_port_dir(request.config, tmp_path_factory), "redis", port)
        try:
            if choice.backend == "docker":
                from pytest_opticserp.executors.docker import RedisContainerServer

                handle: ServiceHandle = RedisContainerServer(choice.location, reservation.port, timeout)
            else:
                workdir = tmp_path_factory.mktemp(f"redis-{reservation.port}")
                handle = RedisServer(choice.location, reservation.port, workdir, timeout, choice.version)
            yield from _serve(request.config, handle)
        finally:
            reservation.release()

    return redis_proc_fixture


def redis_noproc(url: str | None = None,
                 startup_timeout: float | None = None) -> Callable[..., Iterator[ServiceHandle]]:
    """A session fixture for a Redis that already runs at `url` (default: --opticserp-redis-url)."""

    @pytest.fixture(scope="session")
    def redis_noproc_fixture(request: pytest.FixtureRequest) -> Iterator[ExternalRedis]:
        """An existing Redis the session connects to; under xdist each worker uses its own database number."""
        settings = settings_for(request.config)
        given = url or settings.redis_url
        if not given:
            pytest.fail("redis_noproc needs a URL: pass url=... or --opticserp-redis-url", pytrace=False)
        server = ExternalRedis(_worker_url(given), startup_timeout or settings.startup_timeout)
        yield from _serve(request.config, server)

    return redis_noproc_fixture


def redis_client(proc_fixture_name: str,
                 decode_responses: bool = True) -> Callable[..., Iterator[redis_py.Redis]]:
    """A function fixture: a `redis.Redis` client of the server fixture `proc_fixture_name`, emptied per test."""

    @pytest.fixture
    def redis_client_fixture(request: pytest.FixtureRequest) -> Iterator[redis_py.Redis]:
        """A `redis.Redis` client (str responses) on an empty database.

        If an earlier test stopped the server, it is started again first; a test that stops it gets it
        started again afterwards.
        """
        import redis as redis_py

        server = request.getfixturevalue(proc_fixture_name)
        _ensure_running(server)
        client = redis_py.Redis.from_url(server.url, decode_responses=decode_responses)
        client.flushdb()
        yield client
        client.close()
        _ensure_running(server)

    return redis_client_fixture


def _serve(config: pytest.Config, handle: ServiceHandle) -> Iterator[ServiceHandle]:
    with tracked(config, handle):
        try:
            handle.start()
        except ServerStartError as exc:
            pytest.fail(str(exc), pytrace=False)
        record_startup(config, f"redis {handle.describe()} ready in {handle.startup_seconds:.3f} s")
        yield handle


def _ensure_running(server: ServiceHandle) -> None:
    if not server.running():
        try:
            server.start()
        except ServerStartError as exc:
            pytest.fail(str(exc), pytrace=False)


def _worker_url(url: str) -> str:
    """Give each xdist worker its own database number when the URL names none, so flushes don't collide."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    parts = urlsplit(url)
    if not worker or parts.path.strip("/"):
        return url
    number = int("".join(filter(str.isdigit, worker)) or 0) % REDIS_DATABASES
    return urlunsplit(parts._replace(path=f"/{number}"))
