"""Each FN's document sequence as the OFD sees it: which numbers arrived, which are missing between them.

An FN numbers its documents 1, 2, 3, ... without gaps and must deliver every one, so a number the OFD lacks
between two it has is a document the register still holds. The OFD cannot know the moment that document
was signed, only that it came before the next one it received: `unsent_since` is that next document's time
(tag 1012, the register's clock, which the FN's offline limit runs on), so the gap has been open since then
at the latest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, Field

MISSING_LISTED = 100  # numbers listed in `missing`; `missing_count` counts them all


class FnSequence(BaseModel):
    """`GET /ofd/v1/fn/{fn}`: the FN's documents at the OFD."""

    fn_serial: str
    first_fd: int = Field(description="The lowest fiscal document number received")
    last_fd: int = Field(description="The highest fiscal document number received")
    received: int = Field(description="Documents received, each counted once however often it was re-sent")
    missing: list[int] = Field(description=f"Numbers between first_fd and last_fd not received, lowest first; "
                                           f"at most {MISSING_LISTED}")
    missing_count: int = Field(description="How many numbers between first_fd and last_fd are missing")
    oldest_missing_fd: int | None = Field(description="The lowest missing number, or null")
    unsent_since: datetime | None = Field(
        description="The document time (1012) of the first document received after the oldest gap: the missing "
                    "one was signed no later, so it has been unsent since then at the latest; null with no gap")
    documents_by_type: dict[str, int] = Field(description="Documents received per FN document type (tag 1000 "
                                                          "value as a string: 1, 2, 3, 5, 6, 21, 31)")
    last_received_at: datetime = Field(description="When the OFD (its own clock) last received a new document")


@dataclass
class FnLedger:
    """What the OFD keeps per FN: each number's document type and time, as received."""

    documents: dict[int, tuple[int, datetime]] = field(default_factory=dict)
    last_received_at: datetime | None = None

    def add(self, fd: int, doc_type: int, issued_at: datetime, received_at: datetime) -> None:
        self.documents[fd] = (doc_type, issued_at)
        self.last_received_at = received_at

    def copy(self) -> FnLedger:
        return FnLedger(dict(self.documents), self.last_received_at)

    def sequence(self, fn_serial: str) -> FnSequence:
        """The summary; O(n log n) in the FN's documents, done on a copy outside the state's lock."""
        numbers = sorted(self.documents)
        missing: list[int] = []
        oldest_gap: tuple[int, datetime] | None = None
        for before, after in zip(numbers, numbers[1:], strict=False):
            if after - before > 1:
                if oldest_gap is None:
                    oldest_gap = (before + 1, self.documents[after][1])
                missing.extend(range(before + 1, min(after, before + 1 + MISSING_LISTED - len(missing))))
        by_type: dict[str, int] = {}
        for doc_type, _ in self.documents.values():
            by_type[str(doc_type)] = by_type.get(str(doc_type), 0) + 1
        assert self.last_received_at is not None
        return FnSequence(
            fn_serial=fn_serial,
            first_fd=numbers[0],
            last_fd=numbers[-1],
            received=len(numbers),
            missing=missing,
            missing_count=numbers[-1] - numbers[0] + 1 - len(numbers),
            oldest_missing_fd=oldest_gap[0] if oldest_gap else None,
            unsent_since=oldest_gap[1] if oldest_gap else None,
            documents_by_type=dict(sorted(by_type.items(), key=lambda kv: int(kv[0]))),
            last_received_at=self.last_received_at,
        )
