"""Power loss: the adapter is killed with SIGKILL at random moments while POS terminals keep selling.

After each run every receipt a POS got a 2xx for is in the buffer exactly once, its fiscal data never
changed between answers, the fiscal drive's document numbers have no gap and no orphan, and the OFD holds
each receipt exactly once.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time

import httpx
import pytest

from pytest_opticserp import KktAdapter, eventually, http_client

pytestmark = [pytest.mark.power_loss, pytest.mark.kkt_adapter(ofd_max_concurrency=4)]

TERMINALS = 3
RECEIPTS_PER_TERMINAL = 15
KILLS = 3


class Terminal(threading.Thread):
    """A POS that retries each receipt with its key until the adapter answers, as a real one would."""

    def __init__(self, adapter: KktAdapter, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.adapter = adapter
        self.keys = [f"{name}-{n}" for n in range(RECEIPTS_PER_TERMINAL)]
        self.answers: dict[str, list[dict]] = {key: [] for key in self.keys}
        self.errors: list[str] = []

    def run(self) -> None:
        with http_client.client(base_url=self.adapter.url, timeout=10) as client:
            for key in self.keys:
                self.sell(client, key)
                if len(self.answers[key]) == 1 and random.random() < 0.3:
                    self.sell(client, key)  # a POS that did not see the answer asks again

    def sell(self, client: httpx.Client, key: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                response = client.post("/v1/kkt/receipt", json=self.adapter.receipts(),
                                       headers={"X-Idempotency-Key": key})
            except httpx.TransportError:
                time.sleep(0.02)
                continue
            if response.status_code == 200:
                self.answers[key].append(response.json())
                return
            if response.status_code in (409, 503) and response.json()["error"] in ("still_fiscalizing",):
                time.sleep(0.05)
                continue
            self.errors.append(f"{key}: {response.status_code} {response.text}")
            return
        self.errors.append(f"{key}: no answer within 60 s")


@pytest.mark.parametrize("seed", [11, 22, 33])
def test_sigkill_under_load_loses_and_duplicates_nothing(kkt_adapter: KktAdapter, ofd, seed: int,
                                                         report_figure) -> None:
    chaos = random.Random(seed)
    terminals = [Terminal(kkt_adapter, f"pos{n}-s{seed}") for n in range(TERMINALS)]
    for terminal in terminals:
        terminal.start()
    for _ in range(KILLS):
        time.sleep(chaos.uniform(0.05, 0.6))  # a random moment of the load, not a synchronisation
        kkt_adapter.restart(kill=True)
    for terminal in terminals:
        terminal.join(90)
        assert not terminal.is_alive(), f"{terminal.name} still selling after 90 s (seed {seed})"

    errors = [error for terminal in terminals for error in terminal.errors]
    assert not errors, f"seed {seed}: {errors}"
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

    eventually(lambda: ofd.receipts_received == len(signed), "every receipt at the OFD", ofd.counters)
    at_ofd = sorted(d.document["fiscal_doc_number"] for d in ofd.received())
    assert at_ofd == sorted(signed.values()) and ofd.counters.conflicts == 0
    report_figure(f"power loss (seed {seed}): {len(signed)} receipts, {KILLS} SIGKILLs, "
                  f"{ofd.counters.duplicates} re-sends recognised by the OFD, none lost or doubled")
