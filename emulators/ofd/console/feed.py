"""What the console's front page shows and polls: the failure mode, the received documents, each FN's sequence.

Filtering is done here, once, for the first render and for every poll alike, so the page and its JSON can
never disagree about which documents a filter keeps.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from fiscal.money import format_rubles

from ..documents import DOC_TYPES, OPERATIONS, RECEIPT, RECEIPT_TYPES
from ..sequence import FnSequence
from ..state import OfdState, ReceivedDocument, UnknownFn

ALL = "all"
STATUSES = ("accepted", "duplicate")  # rejected documents are counted by the state, not kept


@dataclass(frozen=True)
class DocumentRow:
    received_at: str  # the OFD's clock, UTC, to the second
    fn: str
    fd: int
    type: str  # the document type's name: "receipt", "open shift", ...
    operation: str  # receipts only: "sale", "sale refund", ...
    total: str  # receipts only, rubles
    status: str  # "accepted", or "duplicate" once re-sent
    times_received: int


@dataclass(frozen=True)
class Filters:
    fn: str = ALL
    type: str = ALL
    status: str = ALL

    def keep(self, row: DocumentRow) -> bool:
        return all(wanted in (ALL, "", actual) for wanted, actual in
                   ((self.fn, row.fn), (self.type, row.type), (self.status, row.status)))


def mode_text(snapshot: dict[str, Any]) -> str:
    """`FailurePlan.snapshot()` as one sentence: what the next document post will get."""
    if snapshot["permanent_failure"]:
        mode = "failing every request (permanent)"
    elif snapshot["failures_remaining"]:
        count = snapshot["failures_remaining"]
        mode = f"failing the next {count} request{'' if count == 1 else 's'}"
    else:
        mode = "answering normally"
    delay = snapshot["response_delay"]
    return f"Mode: {mode}" + (f"; response delay {delay:g} s" if delay else "")


def document_row(received: ReceivedDocument) -> DocumentRow:
    document = received.document
    doc_type = document.get("doc_type", RECEIPT)
    receipt = doc_type in RECEIPT_TYPES
    return DocumentRow(
        received_at=received.received_at.strftime("%Y-%m-%d %H:%M:%S"),
        fn=document["fn_serial"],
        fd=document["fiscal_doc_number"],
        type=DOC_TYPES.get(doc_type, str(doc_type)),
        operation=OPERATIONS.get(document["operation"], "") if receipt else "",
        total=format_rubles(document["total"]) if receipt else "",
        status="duplicate" if received.times_received > 1 else "accepted",
        times_received=received.times_received,
    )


# The page re-renders its table every second: a drain of thousands of documents watched in the console must not
# make the emulator render thousands of rows a second on the loop that answers the adapter.
MAX_ROWS = 200


@dataclass(frozen=True)
class Feed:
    mode: str
    documents: list[DocumentRow]  # newest first, filtered, at most MAX_ROWS
    matching: int  # documents the filters keep, shown or not
    fns: list[str]  # every FN seen, whatever the filters
    sequences: list[FnSequence]
    filters: Filters

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "documents": [asdict(row) for row in self.documents],
            "matching": self.matching,
            "fns": self.fns,
            "sequences": [sequence.model_dump(mode="json") for sequence in self.sequences],
            "filters": asdict(self.filters),
        }


def feed(state: OfdState, filters: Filters) -> Feed:
    rows = [document_row(received) for received in reversed(state.received())]
    fns = sorted({row.fn for row in rows})
    sequences = []
    for fn in fns:
        try:
            sequences.append(state.fn_sequence(fn))
        except UnknownFn:  # reset between the two reads
            continue
    kept = [row for row in rows if filters.keep(row)]
    return Feed(mode_text(state.faults.snapshot()), kept[:MAX_ROWS], len(kept), fns, sequences, filters)
