"""A full buffer refuses new receipts with 503 and loses nothing it already holds."""

from __future__ import annotations

import pytest

from pytest_opticserp import eventually


@pytest.mark.kkt_adapter(buffer_max_size=3)
def test_a_receipt_beyond_capacity_gets_503_and_the_counts_stay(kkt_adapter_offline) -> None:
    accepted = [kkt_adapter_offline.post_receipt(key=f"k{i}") for i in range(3)]
    assert [r.status_code for r in accepted] == [200, 200, 200]
    before = kkt_adapter_offline.status()

    refused = kkt_adapter_offline.post_receipt(key="one-too-many")

    assert refused.status_code == 503
    assert refused.json()["error"] == "buffer_full"
    assert "capacity" in refused.json()["message"]
    assert refused.headers["Retry-After"]
    assert kkt_adapter_offline.status() == before
    assert before["pending_count"] == 3 and before["percent_full"] == 100.0


@pytest.mark.kkt_adapter(buffer_max_size=1)
def test_a_full_buffer_still_replays_receipts_it_accepted(kkt_adapter_offline) -> None:
    original = kkt_adapter_offline.post_receipt(key="kept")
    assert kkt_adapter_offline.post_receipt(key="new").status_code == 503
    replay = kkt_adapter_offline.post_receipt(key="kept")
    assert replay.status_code == 200
    assert replay.json() == original.json()


@pytest.mark.kkt_adapter(buffer_max_size=1)
def test_a_full_buffer_makes_health_degraded_not_unhealthy(kkt_adapter_offline) -> None:
    kkt_adapter_offline.post_receipt(key="first")
    health = kkt_adapter_offline.client.get("/v1/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert "buffer 100.0% full" in health.json()["problems"]


@pytest.mark.kkt_adapter(buffer_max_size=2)
def test_acceptance_resumes_once_the_ofd_takes_the_backlog(kkt_adapter_app, ofd_emulator) -> None:
    ofd_emulator.fail_permanently()
    accepted = [kkt_adapter_app.post_receipt(key=f"k{i}") for i in range(2)]
    assert kkt_adapter_app.post_receipt(key="waiting").status_code == 503

    ofd_emulator.recover()
    eventually(lambda: kkt_adapter_app.status()["pending_count"] == 0, "the backlog to reach the OFD",
               kkt_adapter_app.status)
    accepted.append(kkt_adapter_app.post_receipt(key="waiting"))

    assert [r.status_code for r in accepted] == [200, 200, 200]
    signed = {r.json()["fiscal"]["fiscal_doc_number"] for r in accepted}
    assert {d.document["fiscal_doc_number"] for d in ofd_emulator.wait_for(3)} == signed
