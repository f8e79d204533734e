"""Where a document is stored at the OFD: the store of acknowledged documents, each FN's sequence, the
counters and the acknowledgements.

Every acknowledgement carries the operator's confirmation, as a real OFD's document 7 does: response code
(1022), the operator's fiscal sign (1078, a keyed hash since the real one is the operator's cryptography), the
OFD's INN (1017) and the time (1012). A re-sent document gets the stored acknowledgement, so the same
confirmation, again.

One `OfdState` per emulator instance. The server thread writes it and a test thread reads it, so every
access holds the lock; `wait_for` sleeps on a condition of that lock instead of polling.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from emulators.faults import FailurePlan, FaultSettings
from emulators.ofd.documents import (
    RATE_OF_CODE,
    RECEIPT,
    RECEIPT_TYPES,
    VAT_CODES,
    Document,
    DocumentRejected,
    ResponseCode,
)
from emulators.ofd.sequence import FnLedger, FnSequence

DEFAULT_OPERATOR_KEY = b"opticserp-ofd-emulator"
DEFAULT_OFD_INN = "7799000005"  # tag 1017; made up, with valid control digits (an OFD checks them)


class UnknownFn(LookupError):
    """The OFD has received no document from this FN (since the last reset)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OfdCounters:
    calls: int = 0  # document posts, whatever their outcome
    accepted: int = 0  # unique documents stored
    duplicates: int = 0  # identical re-sends acknowledged again
    rejected: int = 0  # invalid documents
    conflicts: int = 0  # same key, different content
    failed_injected: int = 0  # answered 503 by failure injection


@dataclass
class ReceivedDocument:
    """A stored document: the JSON as first sent, the acknowledgement, and how often it arrived."""

    document: dict[str, Any]
    ack: dict[str, Any]
    received_at: datetime
    times_received: int = 1
    parsed: Document | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "ack": self.ack,
            "received_at": self.received_at.isoformat(),
            "times_received": self.times_received,
        }


class OfdState:
    """Documents keyed by (fn_serial, fiscal_doc_number): acknowledged once, re-acknowledged identically."""

    def __init__(
        self,
        faults: FaultSettings | None = None,
        *,
        operator_key: bytes = DEFAULT_OPERATOR_KEY,
        ofd_inn: str = DEFAULT_OFD_INN,
        clock: Callable[[], datetime] = utc_now,
        vat_codes: Mapping[int, str] = VAT_CODES,
    ) -> None:
        """`operator_key` keys the operator's sign (1078), `ofd_inn` is tag 1017; `vat_codes` may only narrow
        `fiscal.vat`'s tag 1199 table, whose codes say the rate the VAT sums are checked at."""
        unknown = sorted(set(vat_codes) - set(RATE_OF_CODE))
        if unknown:
            raise ValueError(f"vat_codes {unknown} are not in fiscal.vat's tag 1199 table, so they have no rate")
        self.faults = FailurePlan(faults)
        self.vat_codes = dict(vat_codes)
        self.ofd_inn = ofd_inn
        self._operator_key = operator_key
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._documents: dict[tuple[str, int], ReceivedDocument] = {}
        self._ledgers: dict[str, FnLedger] = {}
        self._receipts = 0  # of the documents, receipts (3) and correction receipts (31)
        self._counters = OfdCounters()
        self._generation = 0

    def stale(self, generation: int) -> bool:
        """Whether a request that saw `generation` arrived before the last reset."""
        with self._lock:
            return generation != self._generation

    def _bump(self, **delta: int) -> None:
        counters = self._counters  # frozen: readers keep the snapshot they took
        self._counters = replace(counters, **{name: getattr(counters, name) + n for name, n in delta.items()})
        self._changed.notify_all()

    def note_call(self) -> int:
        """Count a call; returns the state's generation, which `store` checks (see `reset`)."""
        with self._lock:
            self._bump(calls=1)
            return self._generation

    def note_injected_failure(self) -> None:
        with self._lock:
            self._bump(failed_injected=1)

    def note_rejected(self) -> None:
        with self._lock:
            self._bump(rejected=1)

    def operator_sign(self, doc: Document) -> str:
        """The operator's fiscal sign (tag 1078): a keyed hash of FN | FD | fiscal sign, in decimal."""
        message = f"{doc.fn_serial}|{doc.fiscal_doc_number}|{doc.fiscal_sign}".encode()
        digest = hmac.new(self._operator_key, message, hashlib.sha256).digest()
        return str(int.from_bytes(digest[:4], "big"))

    def _acknowledgement(self, doc: Document, received_at: datetime) -> dict[str, Any]:
        sign = self.operator_sign(doc)
        return {
            "status": "accepted",
            "response_code": int(ResponseCode.ACCEPTED),
            "ofd_id": uuid.uuid4().hex,
            "fn_serial": doc.fn_serial,
            "fiscal_doc_number": doc.fiscal_doc_number,
            "doc_type": doc.doc_type,
            "received_at": received_at.isoformat(),
            "operator_sign": sign,
            "operator_confirmation": {  # document 7
                "ofd_inn": self.ofd_inn,  # 1017
                "fn_serial": doc.fn_serial,  # 1041
                "fiscal_doc_number": doc.fiscal_doc_number,  # 1040
                "datetime": received_at.isoformat(),  # 1012
                "response_code": int(ResponseCode.ACCEPTED),  # 1022, in message 1068
                "operator_sign": sign,  # 1078
            },
        }

    def store(self, doc: Document, raw: dict[str, Any], generation: int | None = None
              ) -> tuple[dict[str, Any], bool]:
        """Acknowledge `doc`: (ack, duplicate). Raises `DocumentRejected` (409) for a conflicting re-send.

        A request that arrived before the last `reset` (a slow one still being answered) is acknowledged but
        not stored, so it cannot leak into the next test.
        """
        with self._lock:
            if generation is not None and generation != self._generation:
                return {**self._acknowledgement(doc, self._clock()), "stale": True}, False
            known = self._documents.get(doc.key)
            if known is not None:
                assert known.parsed is not None
                differing = known.parsed.differences(doc)
                if differing:
                    self._bump(conflicts=1)
                    raise DocumentRejected(
                        ResponseCode.CONFLICT,
                        differing[0],
                        f"FN {doc.fn_serial} FD {doc.fiscal_doc_number} was already received with different "
                        f"content (differs in: {', '.join(differing)})",
                        409,
                    )
                known.times_received += 1
                self._bump(duplicates=1)
                return known.ack, True
            received_at = self._clock()
            ack = self._acknowledgement(doc, received_at)
            self._documents[doc.key] = ReceivedDocument(raw, ack, received_at, parsed=doc)
            self._ledgers.setdefault(doc.fn_serial, FnLedger()).add(
                doc.fiscal_doc_number, doc.doc_type, doc.issued_at, received_at)
            self._receipts += doc.doc_type in RECEIPT_TYPES
            self._bump(accepted=1)
            return ack, False

    def fn_sequence(self, fn_serial: str) -> FnSequence:
        """The FN's documents here: first and last number, the missing ones, per type. `UnknownFn` if none."""
        with self._lock:
            ledger = self._ledgers.get(fn_serial)
            if ledger is None:
                raise UnknownFn(f"the OFD has received no document from FN {fn_serial}")
            ledger = ledger.copy()
        return ledger.sequence(fn_serial)

    @property
    def counters(self) -> OfdCounters:
        with self._lock:
            return self._counters

    @property
    def receipts_received(self) -> int:
        """Receipts and correction receipts; `documents_received` in `stats` counts every type."""
        with self._lock:
            return self._receipts

    def received(
        self,
        *,
        fn_serial: str | None = None,
        fiscal_doc_number: int | None = None,
        since: datetime | None = None,
    ) -> list[ReceivedDocument]:
        """Stored documents in arrival order, optionally filtered (`since` is inclusive)."""
        with self._lock:
            found = [
                ReceivedDocument(r.document, r.ack, r.received_at, r.times_received)
                for r in self._documents.values()
                if (fn_serial is None or r.document.get("fn_serial") == fn_serial)
                and (fiscal_doc_number is None or r.document.get("fiscal_doc_number") == fiscal_doc_number)
                and (since is None or r.received_at >= since)
            ]
        return found

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedDocument]:
        """Block until at least `count` unique receipts are stored (what `receipts_received` counts; shift and other
        documents arrive around them); the receipts, in arrival order. TimeoutError says what did arrive."""
        with self._lock:
            if not self._changed.wait_for(lambda: self._receipts >= count, timeout):
                c = self._counters
                raise TimeoutError(
                    f"OFD emulator: expected {count} receipt(s) within {timeout}s, got {self._receipts} "
                    f"({len(self._documents)} document(s) of any type; calls={c.calls}, rejected={c.rejected}, "
                    f"conflicts={c.conflicts}, failed_injected={c.failed_injected})"
                )
        return self.receipts()

    def receipts(self, **filters: Any) -> list[ReceivedDocument]:
        """`received(**filters)` less the FN's other documents: what the seed calls receipts."""
        return [r for r in self.received(**filters) if r.document.get("doc_type", RECEIPT) in RECEIPT_TYPES]

    def reset(self) -> None:
        """Forget all documents and counters and re-arm the failures the emulator started with."""
        with self._lock:
            self._documents.clear()
            self._ledgers.clear()
            self._receipts = 0
            self._counters = OfdCounters()
            self._generation += 1
            self._changed.notify_all()
        self.faults.reset()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            counters = asdict(self._counters)
            received, documents = self._receipts, len(self._documents)
        return {"receipts_received": received, "documents_received": documents, **counters,
                **self.faults.snapshot()}
