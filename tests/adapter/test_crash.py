"""A real adapter process killed with SIGKILL between the OFD's acknowledgement and its own commit."""

from __future__ import annotations

import pytest

from emulators.netfault import NetfaultProxy
from emulators.ofd import OfdEmulator
from pytest_opticserp import KktAdapter


@pytest.mark.kkt_adapter(ofd_timeout=60, redis=False)  # a killed holder would keep the Redis lock a while
def test_a_kill_after_the_ofd_acknowledged_gives_no_second_document(kkt_adapter: KktAdapter, ofd_network: NetfaultProxy,
                                                                    ofd_emulator: OfdEmulator) -> None:
    kkt_adapter.wait_for_network("ONLINE")  # the adapter's first contact with the OFD
    # The OFD's answer is held back on the way to the adapter: the OFD has the receipt, the adapter not yet.
    ofd_network.add_toxic("latency", name="slow-answer", latency_ms=30_000, direction="downstream")
    receipt = kkt_adapter.post_receipt()
    assert receipt.status_code == 200
    # Sent with the shift's document, or, when the sync run took that one alone, once its held answer arrives
    # (30 s): either way the OFD has the receipt while its own answer is held back.
    ofd_emulator.wait_for(1, timeout=45)

    kkt_adapter.kill()
    ofd_network.remove_toxic("slow-answer")
    kkt_adapter.start()
    kkt_adapter.wait_until_synced(1)

    assert ofd_emulator.receipts_received == 1
    (document,) = ofd_emulator.receipts()
    assert document.times_received == 2
    fiscal = receipt.json()["fiscal"]
    assert document.document["fiscal_doc_number"] == fiscal["fiscal_doc_number"]
    # The shift the sale opened was held back with it and re-sent too: each FN document is there once.
    sequence = ofd_emulator.fn_sequence(fiscal["fn_serial"])
    assert (sequence.first_fd, sequence.last_fd, sequence.missing) == (1, fiscal["fiscal_doc_number"], [])
