"""The sync lock in a real Redis: one deliverer per buffer, and life goes on when Redis is down."""

from __future__ import annotations

import socket
import sys

import psutil
import pytest
import redis

from kkt_adapter.components import sync_lock_name
from pytest_opticserp import InProcessKktAdapter, eventually
from pytest_opticserp.executors.base import ServerProcess


def synced(adapter: InProcessKktAdapter, count: int) -> None:
    eventually(lambda: adapter.status()["synced_count"] == count, f"{count} synced", adapter.status)


def test_with_redis_the_sync_lock_is_held_in_redis(kkt_adapter_with_redis, opticserp_redis_proc) -> None:
    kkt_adapter_with_redis.post_receipt()
    synced(kkt_adapter_with_redis, 1)
    lock = kkt_adapter_with_redis.health()["sync_lock"]
    assert lock["backend"] == "redis" and lock["redis"] == "connected"
    assert "kkt_sync_lock_redis 1.0" in kkt_adapter_with_redis.client.get("/metrics").text


@pytest.mark.kkt_adapter(sync_interval=3600)
def test_a_lock_held_by_another_instance_keeps_this_one_from_delivering(kkt_adapter_with_redis,
                                                                         opticserp_redis_proc) -> None:
    lock_name = sync_lock_name(kkt_adapter_with_redis.config)
    other = redis.Redis.from_url(opticserp_redis_proc.url).lock(lock_name, timeout=60)
    assert other.acquire(blocking_timeout=10)  # the adapter's start-up run holds it for a moment
    try:
        kkt_adapter_with_redis.post_receipt()
        report = kkt_adapter_with_redis.client.post("/v1/kkt/buffer/sync").json()["report"]
        assert report["stopped_by"] == "another adapter instance holds the sync lock"
        assert kkt_adapter_with_redis.status()["pending_count"] == 1
    finally:
        other.release()
    assert kkt_adapter_with_redis.client.post("/v1/kkt/buffer/sync").json()["buffer"]["synced_count"] == 1


def test_with_redis_down_receipts_still_flow_under_a_local_lock(kkt_adapter_with_redis, opticserp_redis_proc) -> None:
    eventually(lambda: kkt_adapter_with_redis.health()["sync_lock"]["redis"] == "connected", "the first lock in Redis",
               kkt_adapter_with_redis.health)
    opticserp_redis_proc.stop()
    try:
        for i in range(3):
            assert kkt_adapter_with_redis.post_receipt(key=f"k{i}").status_code == 200
        synced(kkt_adapter_with_redis, 3)
        health = kkt_adapter_with_redis.health()
        assert health["status"] == "degraded"
        assert health["sync_lock"]["backend"] == "local"
        assert health["sync_lock"]["redis"].startswith("unreachable")
        assert any("Redis" in problem for problem in health["problems"])
    finally:
        opticserp_redis_proc.start()

    kkt_adapter_with_redis.post_receipt(key="after")
    synced(kkt_adapter_with_redis, 4)
    eventually(lambda: kkt_adapter_with_redis.health()["sync_lock"]["redis"] == "connected", "the lock back in Redis",
               kkt_adapter_with_redis.health)
    assert kkt_adapter_with_redis.health()["status"] == "healthy"


def token_of(pid: int, started: float) -> str:
    return f"{socket.gethostname()}:{pid}:{round(started * 1000)}:0123456789abcdef"


@pytest.mark.kkt_adapter(sync_interval=3600)
def test_a_lock_left_by_a_process_of_this_host_that_is_gone_is_taken_over_at_once(
    kkt_adapter_with_redis, opticserp_redis_proc, tmp_path
) -> None:
    crashed = ServerProcess("a crashed adapter", [sys.executable, "-c", "import time; time.sleep(60)"],
                            logfile=tmp_path / "crashed.log").start()
    pid, started = crashed.pid, psutil.Process(crashed.pid).create_time()
    crashed.stop()  # gone, and its lock with a 60 s lease left behind, as after a SIGKILL mid-run
    lock_name = sync_lock_name(kkt_adapter_with_redis.config)
    client = redis.Redis.from_url(opticserp_redis_proc.url)
    eventually(lambda: client.set(lock_name, token_of(pid, started), px=60_000, nx=True), "the stale lock set",
               timeout=10)  # the adapter's start-up run may hold the lock for a moment

    kkt_adapter_with_redis.post_receipt()
    answer = kkt_adapter_with_redis.client.post("/v1/kkt/buffer/sync").json()

    assert answer["report"]["stopped_by"] is None and answer["buffer"]["synced_count"] == 1, answer
    assert client.get(lock_name) is None, "the adapter released the lock it took over"


@pytest.mark.kkt_adapter(sync_interval=3600)
def test_a_lock_of_a_process_that_still_runs_is_waited_for(kkt_adapter_with_redis, opticserp_redis_proc) -> None:
    me = psutil.Process()
    lock_name = sync_lock_name(kkt_adapter_with_redis.config)
    client = redis.Redis.from_url(opticserp_redis_proc.url)
    eventually(lambda: client.set(lock_name, token_of(me.pid, me.create_time()), px=60_000, nx=True),
               "the lock set", timeout=10)
    try:
        kkt_adapter_with_redis.post_receipt()
        report = kkt_adapter_with_redis.client.post("/v1/kkt/buffer/sync").json()["report"]
        assert report["stopped_by"] == "another adapter instance holds the sync lock"
    finally:
        client.delete(lock_name)
