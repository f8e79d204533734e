"""Power loss: the adapter is killed with SIGKILL at random moments while POS terminals keep selling.

After each run every receipt a POS got a 2xx for is in the buffer exactly once, its fiscal data never
changed between answers, the fiscal drive's document numbers have no gap and no orphan, and the OFD holds
each receipt exactly once.
"""

from __future__ import annotations

import random
import sqlite3
import threading

import httpx
import pytest

from pytest_opticserp import EventuallyTimeout, KktAdapter, eventually, http_client

pytestmark = [pytest.mark.power_loss, pytest.mark.kkt_adapter(ofd_max_concurrency=4)]

TERMINALS = 3
RECEIPTS = 45  # sold in all before the load stops; the kills fall among them
KILLS = 3
AFTER_LAST_KILL = 6  # receipts sold after the last restart, before the terminals close


class Terminal(threading.Thread):
    """A POS that retries each receipt with its key until the adapter answers, as a real one would.

    It sells until the test closes it, so the load cannot run out before the last kill.
    """

    def __init__(self, adapter: KktAdapter, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.adapter = adapter
        self.answers: dict[str, list[dict]] = {}
        self.errors: list[str] = []
        self.closing = threading.Event()

    def run(self) -> None:
        with http_client.client(base_url=self.adapter.url, timeout=10) as client:
            number = 0
            while not self.closing.is_set() and not self.errors:
                key = f"{self.name}-{number}"
                number += 1
                self.answers[key] = []
                self.sell(client, key)
                if len(self.answers[key]) == 1 and random.random() < 0.3:
                    self.sell(client, key)  # a POS that did not see the answer asks again

    def sell(self, client: httpx.Client, key: str) -> None:
        """Post until the adapter answers, as a POS does while the adapter restarts."""

        def answered() -> bool:
            try:
                response = client.post("/v1/kkt/receipt", json=self.adapter.receipts(),
                                       headers={"X-Idempotency-Key": key})
            except httpx.TransportError:
                return False  # the adapter is down: ask again
            if response.status_code == 409 and response.json()["error"] == "still_fiscalizing":
                return False
            if response.status_code == 200:
                self.answers[key].append(response.json())
            else:
                self.errors.append(f"{key}: {response.status_code} {response.text}")
            return True

        try:
            eventually(answered, f"an answer for {key}", timeout=60, interval=0.02)
        except EventuallyTimeout:
            self.errors.append(f"{key}: no answer within 60 s")


def errors_of(terminals: list[Terminal]) -> list[str]:
    return [error for terminal in terminals for error in terminal.errors]


def sold(terminals: list[Terminal]) -> int:
    return sum(1 for terminal in terminals for answers in list(terminal.answers.values()) if answers)


@pytest.mark.parametrize("seed", [11, 22, 33])
def test_sigkill_under_load_loses_and_duplicates_nothing(kkt_adapter: KktAdapter, ofd_emulator, seed: int,
                                                         opticserp_report_figure) -> None:
    chaos = random.Random(seed)
    terminals = [Terminal(kkt_adapter, f"pos{n}-s{seed}") for n in range(TERMINALS)]
    for terminal in terminals:
        terminal.start()
    # Random moments of the load counted in receipts sold, not seconds: a fast machine cannot sell everything
    # before the first kill and leave the test killing an idle adapter.
    moments = sorted(chaos.sample(range(1, RECEIPTS - AFTER_LAST_KILL), KILLS))
    try:
        for moment in [*moments, RECEIPTS]:
            eventually(lambda moment=moment: sold(terminals) >= moment or not all(t.is_alive() for t in terminals),
                       f"{moment} receipts sold", lambda: sold(terminals), timeout=60)
            assert all(t.is_alive() for t in terminals), f"seed {seed}: a terminal stopped: {errors_of(terminals)}"
            if moment != RECEIPTS:
                kkt_adapter.restart(kill=True)
    finally:
        for terminal in terminals:
            terminal.closing.set()
    for terminal in terminals:
        terminal.join(90)
        assert not terminal.is_alive(), f"{terminal.name} still selling after 90 s (seed {seed})"

    assert not errors_of(terminals), f"seed {seed}: {errors_of(terminals)}"
    answers = {key: got for terminal in terminals for key, got in terminal.answers.items()}
    assert all(answers.values()), f"seed {seed}: a receipt never got a 2xx"
    changed = [key for key, got in answers.items() if any(a["fiscal"] != got[0]["fiscal"] for a in got)]
    assert not changed, f"seed {seed}: fiscal data changed between answers for {changed}"
    signed = {key: got[0]["fiscal"]["fiscal_doc_number"] for key, got in answers.items()}

    kkt_adapter.wait_until_synced(len(signed), timeout=30)
    in_buffer = dict(kkt_adapter.query("SELECT idempotency_key, fiscal_doc_number FROM receipts"))
    assert in_buffer == signed, f"seed {seed}: buffer and answers differ"

    with sqlite3.connect(f"file:{kkt_adapter.fiscal_drive_path}?mode=ro", uri=True) as fn:
        numbers = [row[0] for row in fn.execute("SELECT fd FROM documents ORDER BY fd")]
        receipt_numbers = {row[0] for row in fn.execute("SELECT fd FROM documents WHERE doc_type = 3")}
    assert numbers == list(range(1, len(numbers) + 1)), f"seed {seed}: gap in the fiscal drive's numbers"
    assert receipt_numbers == set(signed.values()), f"seed {seed}: a signed document no POS was answered for"

    eventually(lambda: ofd_emulator.receipts_received == len(signed), "every receipt at the OFD",
               ofd_emulator.counters)
    at_ofd = sorted(d.document["fiscal_doc_number"] for d in ofd_emulator.received())
    assert at_ofd == sorted(signed.values()) and ofd_emulator.counters.conflicts == 0
    opticserp_report_figure(f"power loss (seed {seed}): {len(signed)} receipts, {KILLS} SIGKILLs, "
                            f"{ofd_emulator.counters.duplicates} re-sends recognised by the OFD, none lost or doubled")
