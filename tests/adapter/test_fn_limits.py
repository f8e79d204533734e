"""The fiscal drive's limits reach the POS as refusals with a stable code and the device's code, and
/v1/health says why the register cannot sign. Time passes on the register's clock (KKT_CLOCK_OFFSET_SECONDS
at a restart), not in sleeps."""

from __future__ import annotations

import httpx
import pytest

from pytest_opticserp import InProcessKktAdapter, eventually

DAY = 24 * 3600
MONTH = 31 * DAY


def unsent(adapter: InProcessKktAdapter) -> int:
    return adapter.health()["kkt"]["unsent_count"]


def refusal(response: httpx.Response) -> tuple[int, str, int]:
    """What the POS sees of a refusal: status, stable code, device code."""
    body = response.json()
    return response.status_code, body["error"], body["device_code"]


def test_thirty_days_without_the_ofd_block_sales_and_keep_every_stored_receipt(
        kkt_adapter_offline: InProcessKktAdapter) -> None:
    kkt_adapter_offline.post_receipt()
    kkt_adapter_offline.shift_call("close")
    kkt_adapter_offline.restart(kkt_clock_offset_seconds=MONTH)

    refused = kkt_adapter_offline.post_receipt()
    opening = kkt_adapter_offline.shift_call("open")
    health = kkt_adapter_offline.health()

    assert refusal(refused) == refusal(opening) == (503, "fn_offline_limit", 0x15)
    assert health["status"] == "degraded"
    assert any("fn_offline_limit" in problem for problem in health["problems"])
    assert kkt_adapter_offline.status()["pending_count"] == 1


def test_acknowledged_receipts_do_not_count_toward_the_thirty_days(kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt_adapter_app.post_receipt()
    kkt_adapter_app.wait_until_synced(1)
    eventually(lambda: unsent(kkt_adapter_app) == 0, "the FN to take the acknowledgement")
    kkt_adapter_app.shift_call("close")
    kkt_adapter_app.restart(kkt_clock_offset_seconds=MONTH)
    assert kkt_adapter_app.post_receipt().status_code == 200


def test_the_register_refuses_to_sign_before_its_last_document(kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt_adapter_app.post_receipt()
    kkt_adapter_app.restart(kkt_clock_offset_seconds=-3600)  # the register's clock set an hour back
    refused = kkt_adapter_app.post_receipt()
    health = kkt_adapter_app.health()
    assert refusal(refused) == (503, "fn_clock_before_last_document", 0x07)
    assert any("fn_clock_before_last_document" in problem for problem in health["problems"])
    kkt_adapter_app.restart(kkt_clock_offset_seconds=0)
    assert kkt_adapter_app.post_receipt().status_code == 200


@pytest.mark.kkt_adapter(fn_valid_days=2)
def test_an_expired_fn_refuses_receipts_and_shifts(kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt_adapter_app.post_receipt()
    kkt_adapter_app.shift_call("close")
    kkt_adapter_app.restart(kkt_clock_offset_seconds=3 * DAY)
    assert refusal(kkt_adapter_app.post_receipt()) == (503, "fn_expired", 0x05)
    assert refusal(kkt_adapter_app.shift_call("open")) == (503, "fn_expired", 0x05)
    assert kkt_adapter_app.health()["kkt"]["blocked"]["code"] == "fn_expired"
