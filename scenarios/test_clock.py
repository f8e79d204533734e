"""Clocks stepping back.

The POS machine's clock set back (an NTP correction, a hand-set clock) while the register keeps its own: the
receipts' HLC, not their `created_at`, orders them in the buffer and at the OFD. The register's clock set
back: the fiscal drive refuses to sign before its last document, as a real FN does (FN 0x07), and signs
again once the clock is right; every stored receipt still reaches the OFD in order.
"""

from __future__ import annotations

import pytest

from pytest_opticserp import KktAdapter

pytestmark = [pytest.mark.clock, pytest.mark.kkt_adapter(ofd_max_concurrency=1)]


def test_a_clock_set_back_an_hour_makes_the_register_refuse_until_it_is_right(
    kkt_adapter: KktAdapter, ofd_emulator, post_receipts
) -> None:
    before = post_receipts(3)
    kkt_adapter.wait_until_synced(3)

    kkt_adapter.restart(kkt_clock_offset_seconds=-3600)
    refused = kkt_adapter.post_receipt()
    blocked = kkt_adapter.health()["kkt"]["blocked"]
    kkt_adapter.restart(kkt_clock_offset_seconds=0)
    after = post_receipts(3)

    assert refused.status_code == 503, refused.text
    assert (refused.json()["error"], refused.json()["device_code"]) == ("fn_clock_before_last_document", 0x07)
    assert blocked["code"] == "fn_clock_before_last_document"
    kkt_adapter.wait_until_synced(6)
    numbers = [a["fiscal"]["fiscal_doc_number"] for a in before + after]
    assert numbers == sorted(numbers) and numbers[3] == numbers[2] + 1, "the refused receipt took no number"
    assert [d.document["fiscal_doc_number"] for d in ofd_emulator.receipts()] == numbers


def test_receipts_waiting_while_the_clock_was_wrong_reach_the_ofd_in_order(
    kkt_adapter: KktAdapter, ofd_emulator, opticserp_scenario, post_receipts
) -> None:
    with opticserp_scenario.ofd_offline():
        before = post_receipts(3)
        kkt_adapter.restart(kkt_clock_offset_seconds=-3600)
        assert kkt_adapter.post_receipt().status_code == 503
        kkt_adapter.restart(kkt_clock_offset_seconds=0)
        after = post_receipts(3)
        assert kkt_adapter.status()["pending_count"] == 6

    kkt_adapter.wait_until_synced(6)
    numbers = [a["fiscal"]["fiscal_doc_number"] for a in before + after]
    assert [d.document["fiscal_doc_number"] for d in ofd_emulator.receipts()] == numbers


def test_receipts_waiting_across_a_machine_clock_set_back_reach_the_ofd_in_hlc_order(
    kkt_adapter: KktAdapter, ofd_emulator, opticserp_scenario, post_receipts
) -> None:
    with opticserp_scenario.ofd_offline():
        before = post_receipts(3)
        kkt_adapter.restart(kkt_clock_offset_seconds=-3600, kkt_register_clock_offset_seconds=0)
        after = post_receipts(3)
        by_created = [row[0] for row in kkt_adapter.query("SELECT fiscal_doc_number FROM receipts"
                                                          " ORDER BY created_at")]
        numbers = [a["fiscal"]["fiscal_doc_number"] for a in before + after]
        assert by_created == numbers[3:] + numbers[:3], "created_at went back an hour with the machine's clock"

    kkt_adapter.wait_until_synced(6)
    assert [d.document["fiscal_doc_number"] for d in ofd_emulator.receipts()] == numbers
