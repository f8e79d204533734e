"""A full buffer refuses new receipts with 503 and loses nothing it already holds."""

from __future__ import annotations

from tests.support import RunningAdapter, eventually


def test_a_receipt_beyond_capacity_gets_503_and_the_counts_stay(start_adapter, refused_url) -> None:
    adapter: RunningAdapter = start_adapter(buffer_max_size=3, ofd_url=refused_url)
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


def test_a_full_buffer_still_replays_receipts_it_accepted(start_adapter, refused_url) -> None:
    adapter: RunningAdapter = start_adapter(buffer_max_size=1, ofd_url=refused_url)
    original = adapter.post_receipt(key="kept")
    assert adapter.post_receipt(key="new").status_code == 503
    replay = adapter.post_receipt(key="kept")
    assert replay.status_code == 200
    assert replay.json() == original.json()


def test_a_full_buffer_makes_health_degraded_not_unhealthy(start_adapter, refused_url) -> None:
    adapter: RunningAdapter = start_adapter(buffer_max_size=1, ofd_url=refused_url)
    adapter.post_receipt(key="first")
    health = adapter.client.get("/v1/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert "buffer 100.0% full" in health.json()["problems"]


def test_acceptance_resumes_once_the_ofd_takes_the_backlog(start_adapter, ofd) -> None:
    ofd.fail_permanently()
    adapter: RunningAdapter = start_adapter(buffer_max_size=2)
    accepted = [adapter.post_receipt(key=f"k{i}") for i in range(2)]
    assert adapter.post_receipt(key="waiting").status_code == 503

    ofd.recover()
    eventually(lambda: adapter.status()["pending_count"] == 0, "the backlog to reach the OFD", adapter.status)
    accepted.append(adapter.post_receipt(key="waiting"))

    assert [r.status_code for r in accepted] == [200, 200, 200]
    signed = {r.json()["fiscal"]["fiscal_doc_number"] for r in accepted}
    assert {d.document["fiscal_doc_number"] for d in ofd.wait_for(3)} == signed
