"""Power loss: the adapter is killed with SIGKILL at random moments while POS terminals keep selling, and
while the back office opens and closes shifts.

After each run every receipt a POS got a 2xx for is in the buffer exactly once, its fiscal data never
changed between answers, the fiscal drive's document numbers have no gap and no orphan, and the OFD holds
each receipt exactly once. Every Z report's totals equal the receipts of its shift, and a shift or correction
call retried with its key gets its own document, also when the kill fell between the register signing it and
the answer being stored (the register finds it by the call's id), never a second one.
"""

from __future__ import annotations

import random
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from pytest_opticserp import EventuallyTimeout, KktAdapter, ReceiptFactory, eventually, http_client
from scenarios.conftest import assert_every_document_at_ofd, assert_gap_free, fn_documents, shift_totals

pytestmark = [pytest.mark.power_loss, pytest.mark.kkt_adapter(ofd_max_concurrency=4)]

TERMINALS = 3
RECEIPTS = 45  # sold in all before the load stops; the kills fall among them
KILLS = 3
AFTER_LAST_KILL = 6  # receipts sold after the last restart, before the terminals close


class Terminal(threading.Thread):
    """A POS that retries each receipt with its key until the adapter answers, as a real one would.

    It sells until the test closes it, so the load cannot run out before the last kill.
    """

    def __init__(self, adapter: KktAdapter, name: str, waits_for: tuple[str, ...] = ("still_fiscalizing",)) -> None:
        super().__init__(name=name, daemon=True)
        self.adapter = adapter
        self.waits_for = waits_for  # refusals after which the POS asks again (e.g. until the shift is open)
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
            if response.status_code == 409 and response.json()["error"] in self.waits_for:
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
    at_ofd = sorted(d.document["fiscal_doc_number"] for d in ofd_emulator.receipts())
    assert at_ofd == sorted(signed.values()) and ofd_emulator.counters.conflicts == 0
    assert_every_document_at_ofd(ofd_emulator, kkt_adapter)
    opticserp_report_figure(f"power loss (seed {seed}): {len(signed)} receipts, {KILLS} SIGKILLs, "
                            f"{ofd_emulator.counters.duplicates} re-sends recognised by the OFD, none lost or doubled")


class RegisterCall(threading.Thread):
    """The back office's call (`shift/open`, `correction`, ...), asked again with its key until the adapter
    answers, then once more."""

    def __init__(self, adapter: KktAdapter, path: str, key: str, body: dict | None = None) -> None:
        super().__init__(name=key, daemon=True)
        self.adapter, self.path, self.key, self.body = adapter, path, key, body
        self.sent = threading.Event()
        self.interrupted = False  # a request got no answer: the adapter died under it
        self.answers: list[httpx.Response] = []

    def run(self) -> None:
        with http_client.client(base_url=self.adapter.url, timeout=10) as client:
            for _ in range(2):  # the second time as a POS that did not see the answer
                eventually(lambda: self._ask(client), f"an answer to {self.key}", timeout=60)

    def _ask(self, client: httpx.Client) -> bool:
        self.sent.set()
        try:
            response = client.post(f"/v1/kkt/{self.path}", json=self.body, headers={"X-Idempotency-Key": self.key})
        except httpx.TransportError:
            self.interrupted = True
            return False
        if response.status_code == 409 and response.json()["error"] == "still_fiscalizing":
            return False
        self.answers.append(response)
        return True


DOCUMENT_OF = {"shift/open": 2, "shift/close": 5, "correction": 31}


def documents_of(adapter: KktAdapter, path: str) -> int:
    return sum(doc_type == DOCUMENT_OF[path] for _, doc_type, _ in fn_documents(adapter))


def call_and_kill(adapter: KktAdapter, path: str, key: str, moment: str, body: dict | None = None) -> RegisterCall:
    """Send the call and kill the adapter as it goes: once it is `sent` (before or while the register signs), or
    once the register `signed` (while it prints, before the answer is stored)."""
    before = documents_of(adapter, path)
    call = RegisterCall(adapter, path, key, body)
    call.start()
    call.sent.wait(10)
    if moment == "signed":
        eventually(lambda: documents_of(adapter, path) > before, f"the register to sign {key}", timeout=30)
    adapter.restart(kill=True)
    call.join(90)
    assert not call.is_alive(), f"{key}: no answer within 90 s"
    return call


def kills_among_sales(terminals: list[Terminal], rounds: int, chaos: random.Random,
                      calls_of_round: Callable[[int], list[RegisterCall]]) -> list[RegisterCall]:
    """The terminals sell while, each round after a few more receipts, `calls_of_round` makes the back office's
    killed calls; the terminals are closed and joined, also when a round fails."""
    for terminal in terminals:
        terminal.start()
    calls: list[RegisterCall] = []
    try:
        for round_ in range(rounds):
            target = sold(terminals) + chaos.randint(3, 8)
            eventually(lambda target=target: sold(terminals) >= target, f"{target} receipts sold",
                       lambda: (sold(terminals), errors_of(terminals)), timeout=60)
            calls.extend(calls_of_round(round_))
    finally:
        for terminal in terminals:
            terminal.closing.set()
    for terminal in terminals:
        terminal.join(90)
        assert not terminal.is_alive(), f"{terminal.name} still selling after 90 s"
    return calls


# Only the back office opens shifts, so every shift document is one of its calls; the register starts with one open.
@pytest.mark.kkt_adapter(kkt_auto_open_shift=False, kkt_print_delay_min_ms=5, kkt_print_delay_max_ms=30)
@pytest.mark.kkt_register(shift_open=True)
@pytest.mark.parametrize("seed", [44, 55])
def test_sigkill_around_shift_open_and_close_under_load_keeps_z_totals_and_numbers(
        kkt_adapter: KktAdapter, ofd_emulator, seed: int, opticserp_report_figure) -> None:
    chaos = random.Random(seed)
    terminals = [Terminal(kkt_adapter, f"pos{n}-z{seed}", waits_for=("still_fiscalizing", "shift_closed"))
                 for n in range(TERMINALS)]

    def close_and_open(round_: int) -> list[RegisterCall]:
        return [call_and_kill(kkt_adapter, f"shift/{action}", f"{action}-{seed}-{round_}",
                              chaos.choice(["sent", "signed"])) for action in ("close", "open")]

    calls = kills_among_sales(terminals, 3, chaos, close_and_open)
    last = kkt_adapter.shift_call("close")
    assert last.status_code == 200, last.text

    assert not errors_of(terminals), f"seed {seed}: {errors_of(terminals)}"
    for call in calls:
        first, again = call.answers
        assert again.json() == first.json() and again.status_code == first.status_code, f"{call.key} changed"
        # Killed before or after the register signed, each call is answered with its own document: a retry after
        # the signature gets it from the register (by the call's ext_id), never a refusal of a second one.
        assert first.status_code == 200, f"seed {seed}: {call.key}: {first.status_code} {first.text}"
        assert first.json()["document"]["doc_type"] == DOCUMENT_OF[call.path], f"seed {seed}: {call.key}"
    answered_fds = [call.answers[0].json()["document"]["fiscal_doc_number"] for call in calls]
    assert len(set(answered_fds)) == len(calls), f"seed {seed}: two calls answered with one document"

    answers = {key: got[0]["fiscal"] for terminal in terminals for key, got in terminal.answers.items()}
    documents = fn_documents(kkt_adapter)
    assert_gap_free(documents)
    types = Counter(doc_type for _, doc_type, _ in documents)
    assert types[5] == len(calls) // 2 + 1, f"seed {seed}: one Z report per close call, whatever the kills"
    assert types[2] == len(calls) // 2 + 1, f"seed {seed}: the marker's opening and one per open call"
    assert sorted(fd for fd, doc_type, _ in documents if doc_type == 3) == sorted(a["fiscal_doc_number"]
                                                                                 for a in answers.values())
    per_shift = Counter(a["shift_number"] for a in answers.values())
    seed_receipt = ReceiptFactory()()  # what every terminal sells
    z_reports = {tags["shift_number"]: tags for _, doc_type, tags in documents if doc_type == 5}
    for shift, tags in z_reports.items():
        assert tags["shift_totals"] == shift_totals([seed_receipt] * per_shift[shift]), f"seed {seed}: shift {shift}"
    assert set(per_shift) <= set(z_reports), f"seed {seed}: a receipt in a shift with no Z report"
    kkt_adapter.wait_until_synced(len(answers), timeout=30)
    eventually(lambda: ofd_emulator.receipts_received == len(answers), "every receipt at the OFD",
               ofd_emulator.counters)
    assert_every_document_at_ofd(ofd_emulator, kkt_adapter)
    interrupted = sum(call.interrupted for call in calls)
    opticserp_report_figure(f"power loss over shifts (seed {seed}): {len(calls)} shift calls each killed, "
                            f"{interrupted} cut off mid-request, each answered with its own document, "
                            f"{len(answers)} receipts in {len(z_reports)} Z reports, totals equal")


CORRECTION = {"pos_id": "POS-BACK", "items": [{"name": "Линзы, проданы без чека", "quantity": 1, "price": "1200.00",
                                               "tax_rate": 10}],
              "total": "1200.00", "payment_method": "card", "correction_type": "self", "basis": {"date": "2026-01-15"}}


@pytest.mark.kkt_adapter(kkt_print_delay_min_ms=5, kkt_print_delay_max_ms=30)
@pytest.mark.parametrize("seed", [66])
def test_sigkill_around_correction_receipts_under_load_signs_each_once(
        kkt_adapter: KktAdapter, ofd_emulator, seed: int, opticserp_report_figure) -> None:
    chaos = random.Random(seed)
    terminals = [Terminal(kkt_adapter, f"pos{n}-c{seed}") for n in range(TERMINALS)]

    def correct(round_: int) -> list[RegisterCall]:
        return [call_and_kill(kkt_adapter, "correction", f"corr-{seed}-{round_}", chaos.choice(["sent", "signed"]),
                              CORRECTION)]

    calls = kills_among_sales(terminals, 4, chaos, correct)

    assert not errors_of(terminals), f"seed {seed}: {errors_of(terminals)}"
    for call in calls:
        first, again = call.answers
        assert first.status_code == 200 and again.json() == first.json(), f"seed {seed}: {call.key}: {first.text}"
    documents = fn_documents(kkt_adapter)
    assert_gap_free(documents)
    corrections = sorted(fd for fd, doc_type, _ in documents if doc_type == 31)
    assert corrections == sorted(c.answers[0].json()["document"]["fiscal_doc_number"] for c in calls), (
        f"seed {seed}: one correction per call, each the one its call was answered with")
    z_report = kkt_adapter.shift_call("close").json()["document"]
    assert z_report["shift_totals"]["sale"]["corrections"] == len(calls)
    answers = {key: got[0]["fiscal"] for terminal in terminals for key, got in terminal.answers.items()}
    kkt_adapter.wait_until_synced(len(answers), timeout=30)
    assert_every_document_at_ofd(ofd_emulator, kkt_adapter)
    opticserp_report_figure(f"power loss over corrections (seed {seed}): {len(calls)} correction calls each killed, "
                            f"{sum(c.interrupted for c in calls)} cut off mid-request, {len(answers)} receipts, "
                            f"each correction signed once and at the OFD")
