"""The Redis fixtures against a real redis-server started for the session."""

from __future__ import annotations

import socket

import psutil
import pytest
import redis

from pytest_opticserp.executors.base import ServerStartError
from pytest_opticserp.executors.redis import RedisServer


def test_redis_answers_ping(opticserp_redis: redis.Redis) -> None:
    assert opticserp_redis.ping() is True


def test_redis_listens_on_loopback_only_and_keeps_nothing_on_disk(opticserp_redis: redis.Redis) -> None:
    config = opticserp_redis.config_get("*")

    assert (config["bind"], config["save"], config["appendonly"]) == ("127.0.0.1", "", "no")


def test_the_handle_exposes_url_port_and_the_server_pid(opticserp_redis_proc: RedisServer) -> None:
    assert opticserp_redis_proc.url == f"redis://127.0.0.1:{opticserp_redis_proc.port}/0"
    assert psutil.Process(opticserp_redis_proc.pid).name().startswith("redis-server")


def test_a_stopped_redis_refuses_connections_and_comes_back_on_the_same_port(
    opticserp_redis_proc: RedisServer, opticserp_redis: redis.Redis
) -> None:
    port, pid = opticserp_redis_proc.port, opticserp_redis_proc.pid

    opticserp_redis_proc.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    opticserp_redis_proc.start()

    assert (opticserp_redis_proc.port, redis.Redis(port=port).ping()) == (port, True)
    assert opticserp_redis_proc.pid != pid


def test_a_second_server_on_a_taken_port_fails_quoting_its_log(opticserp_redis_proc: RedisServer, tmp_path) -> None:
    intruder = RedisServer(opticserp_redis_proc.executable, opticserp_redis_proc.port, tmp_path, startup_timeout=10)

    with pytest.raises(ServerStartError, match="(?s)exited with code 1 before it was ready.*Address already in use"):
        intruder.start()
