"""A full buffer refuses new receipts with 503 and loses nothing it already holds."""

from __future__ import annotations

from .support import RunningAdapter


def test_a_receipt_beyond_capacity_gets_503_and_the_counts_stay(start_adapter) -> None:
    adapter: RunningAdapter = start_adapter(buffer_max_size=3)
    accepted = [adapter.post_receipt(key=f"k{i}") for i in range(3)]
    assert [r.status_code for r in accepted] == [200, 200, 200]
    before = adapter.status()

    refused = adapter.post_receipt(key="one-too-many")

    assert refused.status_code == 503
    assert refused.json()["error"] == "buffer_full"
    assert "capacity" in refused.json()["message"]
    assert refused.headers["Retry-After"]
    assert adapter.status() == before
    assert before["pending_count"] == 3 and before["percent_full"] == 100.0


def test_a_full_buffer_still_replays_receipts_it_accepted(start_adapter) -> None:
    adapter: RunningAdapter = start_adapter(buffer_max_size=1)
    original = adapter.post_receipt(key="kept")
    assert adapter.post_receipt(key="new").status_code == 503
    replay = adapter.post_receipt(key="kept")
    assert replay.status_code == 200
    assert replay.json() == original.json()


def test_a_full_buffer_makes_health_degraded_not_unhealthy(start_adapter) -> None:
    adapter: RunningAdapter = start_adapter(buffer_max_size=1)
    adapter.post_receipt(key="first")
    health = adapter.client.get("/v1/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert "buffer 100.0% full" in health.json()["problems"]
