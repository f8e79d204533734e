"""Redis down and back: the adapter keeps delivering under a local lock and returns to Redis."""

from __future__ import annotations

import pytest

from pytest_opticserp import KktAdapter, eventually

pytestmark = pytest.mark.redis_down


def test_receipts_flow_while_redis_is_down_and_the_lock_returns_to_redis(
    kkt_adapter: KktAdapter, ofd_emulator, opticserp_redis_proc, post_receipts
) -> None:
    post_receipts(2)
    kkt_adapter.wait_until_synced(2)
    assert kkt_adapter.health()["sync_lock"]["backend"] == "redis"

    opticserp_redis_proc.stop()
    try:
        post_receipts(3)
        kkt_adapter.wait_until_synced(5)
        health = kkt_adapter.health()
        assert health["status"] == "degraded" and health["sync_lock"]["backend"] == "local"
        assert health["sync_lock"]["redis"].startswith("unreachable")
    finally:
        opticserp_redis_proc.start()

    post_receipts(1)
    kkt_adapter.wait_until_synced(6)
    eventually(lambda: kkt_adapter.health()["sync_lock"]["backend"] == "redis", "the lock back in Redis",
               kkt_adapter.health)
    assert ofd_emulator.receipts_received == 6 and ofd_emulator.counters.duplicates == 0
