"""The FN learns of the OFD's acknowledgements, so its unsent count and its 30-day limit are real."""

from __future__ import annotations

import sqlite3
from typing import Any

from emulators.ofd import OfdEmulator
from kkt_adapter.components import build_driver
from kkt_adapter.drivers.base import KktDriver
from pytest_opticserp import InProcessKktAdapter, eventually


class LossyTransport:
    """The mock register behind a transport that loses acknowledgements: before the FN takes them
    (`fails_before`), or after, so the adapter never hears that it did (`fails_after`)."""

    def __init__(self, register: KktDriver, fails_before: int = 0, fails_after: int = 0) -> None:
        self.register = register
        self.fails_before = fails_before
        self.fails_after = fails_after

    def __getattr__(self, name: str) -> Any:
        return getattr(self.register, name)

    async def acknowledge(self, fiscal_doc_number: int, operator_sign: str | None = None) -> None:
        if self.fails_before:
            self.fails_before -= 1
            raise OSError("transport down")
        await self.register.acknowledge(fiscal_doc_number, operator_sign)
        if self.fails_after:
            self.fails_after -= 1
            raise OSError("answer lost")


def unsent(adapter: InProcessKktAdapter) -> int:
    return adapter.health()["kkt"]["unsent_count"]


def test_health_shows_the_fns_unsent_documents_while_the_ofd_is_away(
        kkt_adapter_offline: InProcessKktAdapter) -> None:
    sale = kkt_adapter_offline.post_receipt().json()
    kkt = kkt_adapter_offline.health()["kkt"]
    # Every document waits: the registration report (FD 1), the shift the sale opened, the receipt.
    assert kkt["unsent_count"] == sale["fiscal"]["fiscal_doc_number"] == 3
    assert kkt["oldest_unsent_fd"] == 1


def test_a_synced_receipt_no_longer_counts_as_unsent_at_the_fn(kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt_adapter_app.post_receipt()
    kkt_adapter_app.post_receipt()
    kkt_adapter_app.wait_until_synced(2)
    eventually(lambda: unsent(kkt_adapter_app) == 0, "the FN to count no unsent receipt",
               lambda: kkt_adapter_app.health()["kkt"])
    with sqlite3.connect(f"file:{kkt_adapter_app.config.fn_state_path}?mode=ro", uri=True) as fn:
        signs = fn.execute("SELECT doc_type, operator_sign FROM documents ORDER BY fd").fetchall()
    # Every document, not only receipts, was confirmed with the OFD's operator sign (tag 1078).
    assert [doc_type for doc_type, _ in signs] == [1, 2, 3, 3] and all(sign for _, sign in signs)


def test_an_acknowledgement_the_register_failed_to_take_is_handed_again_and_nothing_is_resent(
        kkt_adapter_app: InProcessKktAdapter, ofd_emulator: OfdEmulator) -> None:
    transport = LossyTransport(build_driver(kkt_adapter_app.config), fails_before=1)
    kkt_adapter_app.driver = transport
    kkt_adapter_app.restart()
    kkt_adapter_app.post_receipt()
    kkt_adapter_app.wait_until_synced(1)
    kkt_adapter_app.sync_now()  # waits for the run that synced it (and failed to tell the FN), then runs again
    assert transport.fails_before == 0
    assert unsent(kkt_adapter_app) == 0
    assert ofd_emulator.receipts_received == 1
    assert kkt_adapter_app.status()["synced_count"] == 1


def test_a_restart_between_the_ofds_ack_and_the_fns_hands_it_over_once_more_harmlessly(
        kkt_adapter_app: InProcessKktAdapter, ofd_emulator: OfdEmulator) -> None:
    # The FN never hears of the first receipt's ack; it takes the second's, but the adapter never learns it did.
    register = build_driver(kkt_adapter_app.config)
    kkt_adapter_app.driver = LossyTransport(register, fails_before=10**6)
    kkt_adapter_app.restart()
    first = kkt_adapter_app.post_receipt().json()["fiscal"]["fiscal_doc_number"]
    kkt_adapter_app.wait_until_synced(1)
    eventually(lambda: kkt_adapter_app.status()["documents_pending"] == 0, "the FN's other documents delivered")
    kkt_adapter_app.sync_now()
    # The shift the sale opened and the receipt (the registration too, unless it was confirmed before the swap).
    waiting = len(kkt_adapter_app.query("SELECT * FROM fn_acknowledgements"))
    assert unsent(kkt_adapter_app) == waiting >= first - 1
    kkt_adapter_app.driver = LossyTransport(register, fails_after=10**6)
    kkt_adapter_app.restart()
    kkt_adapter_app.post_receipt()
    kkt_adapter_app.wait_until_synced(2)
    kkt_adapter_app.sync_now()
    assert unsent(kkt_adapter_app) == 0
    assert len(kkt_adapter_app.query("SELECT * FROM fn_acknowledgements")) == waiting + 1
    kkt_adapter_app.driver = register
    kkt_adapter_app.restart()  # as after a crash: what the FN may not have taken is handed over again

    eventually(lambda: unsent(kkt_adapter_app) == 0, "the FN to count no unsent receipt",
               lambda: kkt_adapter_app.health()["kkt"])
    eventually(lambda: not kkt_adapter_app.query("SELECT * FROM fn_acknowledgements"),
               "the adapter to have handed every acknowledgement over")
    assert ofd_emulator.receipts_received == 2
    assert kkt_adapter_app.status()["synced_count"] == 2
