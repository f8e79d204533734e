"""The sync lock in a real Redis: one deliverer per buffer, and life goes on when Redis is down."""

from __future__ import annotations

import redis

from kkt_adapter.components import sync_lock_name
from tests.support import RunningAdapter, eventually


def synced(adapter: RunningAdapter, count: int) -> None:
    eventually(lambda: adapter.status()["synced_count"] == count, f"{count} synced", adapter.status)


def test_with_redis_the_sync_lock_is_held_in_redis(start_adapter, opticserp_redis_proc) -> None:
    adapter = start_adapter(redis_url=opticserp_redis_proc.url)
    adapter.post_receipt()
    synced(adapter, 1)
    lock = adapter.health()["sync_lock"]
    assert lock["backend"] == "redis" and lock["redis"] == "connected"
    assert "kkt_sync_lock_redis 1.0" in adapter.client.get("/metrics").text


def test_a_lock_held_by_another_instance_keeps_this_one_from_delivering(start_adapter,
                                                                         opticserp_redis_proc) -> None:
    adapter = start_adapter(redis_url=opticserp_redis_proc.url, sync_interval=3600)
    other = redis.Redis.from_url(opticserp_redis_proc.url).lock(sync_lock_name(adapter.settings), timeout=60)
    assert other.acquire(blocking_timeout=10)  # the adapter's start-up run holds it for a moment
    try:
        adapter.post_receipt()
        report = adapter.client.post("/v1/kkt/buffer/sync").json()["report"]
        assert report["stopped_by"] == "another adapter instance holds the sync lock"
        assert adapter.status()["pending_count"] == 1
    finally:
        other.release()
    assert adapter.client.post("/v1/kkt/buffer/sync").json()["buffer"]["synced_count"] == 1


def test_with_redis_down_receipts_still_flow_under_a_local_lock(start_adapter, opticserp_redis_proc) -> None:
    adapter = start_adapter(redis_url=opticserp_redis_proc.url)
    eventually(lambda: adapter.health()["sync_lock"]["redis"] == "connected", "the first lock in Redis",
               adapter.health)
    opticserp_redis_proc.stop()
    try:
        for i in range(3):
            assert adapter.post_receipt(key=f"k{i}").status_code == 200
        synced(adapter, 3)
        health = adapter.health()
        assert health["status"] == "degraded"
        assert health["sync_lock"]["backend"] == "local"
        assert health["sync_lock"]["redis"].startswith("unreachable")
        assert any("Redis" in problem for problem in health["problems"])
    finally:
        opticserp_redis_proc.start()

    adapter.post_receipt(key="after")
    synced(adapter, 4)
    eventually(lambda: adapter.health()["sync_lock"]["redis"] == "connected", "the lock back in Redis",
               adapter.health)
    assert adapter.health()["status"] == "healthy"
