"""The fiscal drive's limits as a shop meets them: a month without the OFD, an FN that expires, a register
clock set back. Each refusal reaches the POS with a stable code and the device's, `/v1/health` says why, no
stored receipt is lost, and the register signs again once the cause is gone. Time passes on the register's
clock (`KKT_REGISTER_CLOCK_OFFSET_SECONDS` at a restart, the `kkt_register` marker), never in sleeps.
"""

from __future__ import annotations

import httpx
import pytest

from pytest_opticserp import KktAdapter, Scenarios, eventually
from scenarios.conftest import (
    assert_gap_free,
    delivered_fiscal_numbers,
    fn_documents,
    shift_expired_code,
    shift_totals,
)

pytestmark = pytest.mark.fn_limits

HOUR, DAY = 3600, 24 * 3600


def refusal(response: httpx.Response) -> tuple[int, str, int]:
    """What the POS sees of a refusal: status, stable code, device code."""
    body = response.json()
    return response.status_code, body["error"], body["device_code"]


def sell(adapter: KktAdapter, count: int) -> tuple[list[dict], list[int]]:
    """`count` sales; the bodies and their fiscal document numbers."""
    bodies = [adapter.receipts.sale(price=f"{1000 + n}.50", tax_rate=20) for n in range(count)]
    answers = [adapter.post_receipt(body) for body in bodies]
    assert [a.status_code for a in answers] == [200] * count, [a.text for a in answers]
    return bodies, [a.json()["fiscal"]["fiscal_doc_number"] for a in answers]


@pytest.mark.ofd_offline
def test_a_month_without_the_ofd_blocks_the_fn_until_the_ofd_acknowledges_and_keeps_every_receipt(
        kkt_adapter: KktAdapter, ofd_emulator, opticserp_scenario: Scenarios) -> None:
    bodies, signed = sell(kkt_adapter, 3)
    first_signed_at = kkt_adapter.health()["kkt"]["oldest_unsent_at"]
    closed = kkt_adapter.shift_call("close")
    kkt_adapter.restart(kkt_register_clock_offset_seconds=31 * DAY)  # the register's clock, a month on

    refused = kkt_adapter.post_receipt()
    opening = kkt_adapter.shift_call("open")
    health = kkt_adapter.health()
    kkt_adapter.sync_now()  # the OFD is still down: nothing changes
    still_refused = kkt_adapter.post_receipt()

    assert closed.json()["document"]["shift_totals"] == shift_totals(bodies)
    assert refusal(refused) == refusal(opening) == refusal(still_refused) == (503, "fn_offline_limit", 0x15)
    assert "signs nothing until it is delivered" in refused.json()["message"]
    assert health["status"] == "degraded"
    assert any("fn_offline_limit" in problem for problem in health["problems"])
    # Every FN document waits for the OFD: registration, shift documents, receipts.
    assert (health["kkt"]["unsent_count"], health["kkt"]["oldest_unsent_at"]) == (len(fn_documents(kkt_adapter)),
                                                                                first_signed_at)
    assert kkt_adapter.status()["pending_count"] == 3, "every stored receipt is kept"
    assert kkt_adapter.accepted() == 3

    opticserp_scenario.restore()  # the OFD is back: receipts synced, FN acknowledged, sales accepted again
    kkt_adapter.sync_now()
    kkt_adapter.wait_until_synced(3, timeout=15)
    eventually(lambda: (kkt := kkt_adapter.health()["kkt"])["unsent_count"] == 0 and kkt["blocked"] is None,
               "the FN to take the OFD's acknowledgements", lambda: kkt_adapter.health()["kkt"])
    after = kkt_adapter.post_receipt()

    assert after.status_code == 200, after.text
    assert kkt_adapter.health()["kkt"]["unsent_count"] <= 2  # at most the sale and the shift it opened
    kkt_adapter.wait_until_synced(4)
    assert delivered_fiscal_numbers(ofd_emulator) == [*signed, after.json()["fiscal"]["fiscal_doc_number"]]
    assert ofd_emulator.counters.duplicates == 0
    assert_gap_free(fn_documents(kkt_adapter))


@pytest.mark.kkt_register(fn_expires_in_days=1)
def test_an_fn_expiring_tomorrow_signs_today_then_refuses_but_closes_its_shift_and_delivers_everything(
        kkt_adapter: KktAdapter, ofd_emulator) -> None:
    today = kkt_adapter.health()
    bodies, signed = sell(kkt_adapter, 2)
    kkt_adapter.restart(kkt_register_clock_offset_seconds=DAY + HOUR)

    refused = kkt_adapter.post_receipt()
    blocked = kkt_adapter.health()["kkt"]["blocked"]
    closed = kkt_adapter.shift_call("close")
    opening = kkt_adapter.shift_call("open")

    assert today["status"] == "healthy" and today["kkt"]["blocked"] is None
    assert refusal(opening) == (503, "fn_expired", 0x05)
    if kkt_adapter.register_device is None:
        assert refusal(refused) == refusal(opening)
    else:  # a Shtrih refuses a sale in a shift over 24 hours itself (the shift opened with today's first sale)
        assert refusal(refused) == (409, "shift_expired", shift_expired_code(kkt_adapter))
    assert blocked["code"] == refusal(refused)[1], "health names the refusal a sale gets"
    if blocked["code"] == "fn_expired":
        assert today["kkt"]["expires_at"][:10] in blocked["message"]
    assert closed.status_code == 200, "a Z report stays possible past the FN's expiry"
    assert closed.json()["document"]["shift_totals"] == shift_totals(bodies)
    kkt_adapter.wait_until_synced(2)
    assert delivered_fiscal_numbers(ofd_emulator) == signed
    assert_gap_free(fn_documents(kkt_adapter))


@pytest.mark.kkt_adapter(ofd_max_concurrency=1)
def test_the_registers_clock_set_back_refuses_every_document_until_it_is_right(
        kkt_adapter: KktAdapter, ofd_emulator) -> None:
    bodies, signed = sell(kkt_adapter, 2)
    last = len(fn_documents(kkt_adapter))
    # Only the register's clock goes back an hour; the POS machine's stays right.
    kkt_adapter.restart(kkt_register_clock_offset_seconds=-HOUR)

    refused = kkt_adapter.post_receipt()
    closing = kkt_adapter.shift_call("close")
    health = kkt_adapter.health()
    documents_while_wrong = len(fn_documents(kkt_adapter))
    kkt_adapter.restart(kkt_register_clock_offset_seconds=0)
    closed = kkt_adapter.shift_call("close")
    after = kkt_adapter.post_receipt()

    assert refusal(refused) == refusal(closing) == (503, "fn_clock_before_last_document", 0x07)
    assert "set the clock right" in refused.json()["message"]
    assert any("fn_clock_before_last_document" in problem for problem in health["problems"])
    assert documents_while_wrong == last, "a refused document takes no number"
    assert closed.status_code == 200 and closed.json()["document"]["shift_totals"] == shift_totals(bodies)
    assert after.status_code == 200, after.text
    assert after.json()["fiscal"]["fiscal_doc_number"] == closed.json()["document"]["fiscal_doc_number"] + 2
    kkt_adapter.wait_until_synced(3)
    assert delivered_fiscal_numbers(ofd_emulator) == [*signed, after.json()["fiscal"]["fiscal_doc_number"]]
    assert_gap_free(fn_documents(kkt_adapter))
