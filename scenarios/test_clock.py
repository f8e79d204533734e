"""The wall clock stepping backwards: receipts keep their order, in the buffer and at the OFD."""

from __future__ import annotations

from datetime import datetime

import pytest

from pytest_opticserp import KktAdapter

pytestmark = [pytest.mark.clock, pytest.mark.kkt_adapter(ofd_max_concurrency=1)]


def test_a_clock_set_back_an_hour_keeps_receipts_in_order(kkt_adapter: KktAdapter, ofd_emulator, post_receipts) -> None:
    before = post_receipts(3)
    kkt_adapter.wait_until_synced(3)

    kkt_adapter.restart(kkt_clock_offset_seconds=-3600)
    after = post_receipts(3)

    kkt_adapter.wait_until_synced(6)
    printed = [datetime.fromisoformat(a["fiscal"]["datetime"]) for a in before + after]
    assert printed[3] < printed[2], "the register's clock did go back"
    numbers = [a["fiscal"]["fiscal_doc_number"] for a in before + after]
    hlc_order = [row[0] for row in kkt_adapter.query("SELECT fiscal_doc_number FROM receipts ORDER BY hlc")]
    assert hlc_order == numbers
    assert [d.document["fiscal_doc_number"] for d in ofd_emulator.received()] == numbers


def test_receipts_waiting_across_a_clock_set_back_reach_the_ofd_in_hlc_order(
    kkt_adapter: KktAdapter, ofd_emulator, opticserp_scenario, post_receipts
) -> None:
    with opticserp_scenario.ofd_offline():
        before = post_receipts(3)
        kkt_adapter.restart(kkt_clock_offset_seconds=-3600)
        after = post_receipts(3)
        by_created = [row[0] for row in kkt_adapter.query("SELECT fiscal_doc_number FROM receipts"
                                                          " ORDER BY created_at")]
        numbers = [a["fiscal"]["fiscal_doc_number"] for a in before + after]
        assert by_created == numbers[3:] + numbers[:3], "created_at went back an hour with the clock"

    kkt_adapter.wait_until_synced(6)
    assert [d.document["fiscal_doc_number"] for d in ofd_emulator.received()] == numbers
