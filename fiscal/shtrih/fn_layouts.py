"""Payload layouts of the FN commands (`FF xx`) and of our one extension, requests and answers.

Facts (public drivers and the reference): FF01, FF03, FF0A, FF0C, FF38, FF39, FF3F, FF40 (pyshtrih); FF45 "close
check v2" and FF46 "operation v2", the FFD 1.2 pair (Shtrih's log parser). FF0A's per-type document data
follows the Shtrih FN manual as we read it; FF4D carries the last item's tags, our reading of "TLV bound to
the operation". FFF0 (acknowledge a document with the OFD's operator sign), FFF1 (read a document whole) and
FFF2 (read the shift's counters) are ours: a real register talks to the OFD itself, our adapter does it for the
emulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Self

from .layout import NOT_GIVEN_5, Reader, ascii_field, date3, datetime5, text, uint


@dataclass(frozen=True)
class FindDocument:
    """FF0A: read document `fd` back from the FN archive."""

    fd: int
    password: int = 30

    def encode(self) -> bytes:
        return uint(self.password, 4) + uint(self.fd, 4)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        password, fd = r.uint(4), r.uint(4)
        r.done()
        return cls(fd, password)


@dataclass(frozen=True)
class SendTlv:
    """FF0C (tags of the document being built) and FF4D (tags of its last item): a run of TLVs (`tlv.py`)."""

    tlv: bytes
    password: int = 30

    def encode(self) -> bytes:
        return uint(self.password, 4) + self.tlv

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        password = r.uint(4)
        return cls(r.rest(), password)


@dataclass(frozen=True)
class Operation:
    """FF46, an FFD 1.2 item: operation = tag 1054 (1 sale, 2 sale refund, 3 expense, 4 expense refund),
    quantity in millionths (6 bytes), price and amount in kopecks (amount None: price x quantity, computed by
    the device), tax amount (None: computed), tax byte = one bit of the tax table's row (`taxes.py`),
    1214 payment method, 1212 subject, and the name."""

    operation: int
    quantity: int
    price: int
    tax_bits: int
    text: str = ""
    amount: int | None = None
    tax_amount: int | None = None
    department: int = 1
    payment_method: int = 4
    subject: int = 1
    password: int = 1

    def encode(self) -> bytes:
        return (uint(self.password, 4) + uint(self.operation, 1) + uint(self.quantity, 6) + uint(self.price, 5)
                + uint(NOT_GIVEN_5 if self.amount is None else self.amount, 5)
                + uint(NOT_GIVEN_5 if self.tax_amount is None else self.tax_amount, 5)
                + bytes([self.tax_bits, self.department, self.payment_method, self.subject]) + text(self.text))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        password, operation, quantity, price = r.uint(4), r.uint(1), r.uint(6), r.uint(5)
        amount, tax_amount = r.uint(5), r.uint(5)
        tax_bits, department, method, subject = r.take(4)
        return cls(operation, quantity, price, tax_bits, r.text(), None if amount == NOT_GIVEN_5 else amount,
                   None if tax_amount == NOT_GIVEN_5 else tax_amount, department, method, subject, password)


PAYMENT_TYPES = 16
CASH, PREPAYMENT, CREDIT, OTHER = 0, 13, 14, 15  # FF45 payment indexes: 1 cash, 14/15/16 offsets; 2-13 cashless


@dataclass(frozen=True)
class CloseCheckEx:
    """FF45: 16 payment sums (index 0 cash; 1-12 cashless, tag 1081; 13 prepayment 1215, 14 credit 1216,
    15 other 1217), rounding (kopecks), six VAT sums (5 bytes each; the device computes its own), the
    taxation system (1055, one bit; 0 = as registered) and text."""

    payments: tuple[int, ...]
    rounding: int = 0
    tax_amounts: tuple[int, ...] = (0,) * 6
    taxation_system: int = 0
    text: str = ""
    password: int = 1

    def __post_init__(self) -> None:
        if len(self.payments) != PAYMENT_TYPES or len(self.tax_amounts) != 6:
            raise ValueError("FF45 has 16 payment sums and 6 tax sums")

    @classmethod
    def of(cls, *, cash: int = 0, electronic: int = 0, prepayment: int = 0, credit: int = 0, other: int = 0,
           **rest: object) -> CloseCheckEx:
        payments = [0] * PAYMENT_TYPES
        payments[CASH], payments[1], payments[PREPAYMENT], payments[CREDIT], payments[OTHER] = (
            cash, electronic, prepayment, credit, other)
        return cls(tuple(payments), **rest)  # type: ignore[arg-type]

    def encode(self) -> bytes:
        return (uint(self.password, 4) + b"".join(uint(p, 5) for p in self.payments) + uint(self.rounding, 1)
                + b"".join(uint(t, 5) for t in self.tax_amounts) + uint(self.taxation_system, 1) + text(self.text))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        password = r.uint(4)
        payments = tuple(r.uint(5) for _ in range(PAYMENT_TYPES))
        rounding = r.uint(1)
        taxes = tuple(r.uint(5) for _ in range(6))
        return cls(payments, rounding, taxes, r.uint(1), r.text(), password)

    @property
    def electronic(self) -> int:
        return sum(self.payments[1:PREPAYMENT])


@dataclass(frozen=True)
class Acknowledge:
    """FFF0, our extension: the OFD confirmed document `fd`; `operator_sign` (tag 1078) as the OFD gave it."""

    fd: int
    operator_sign: str = ""
    password: int = 30

    def encode(self) -> bytes:
        return uint(self.password, 4) + uint(self.fd, 4) + self.operator_sign.encode("ascii")

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        password, fd = r.uint(4), r.uint(4)
        return cls(fd, r.rest().decode("ascii", errors="replace"), password)


@dataclass(frozen=True)
class ReadDocument:
    """FFF1, our extension: `CHUNK` bytes from `offset` of document `fd` as the FN model keeps it (UTF-8 JSON of
    its tags: every field under its readable name, date-times with seconds), for the adapter to send shift
    documents to the OFD; a real register would have sent them itself."""

    fd: int
    offset: int = 0
    password: int = 30

    def encode(self) -> bytes:
        return uint(self.password, 4) + uint(self.fd, 4) + uint(self.offset, 4)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        password, fd, offset = r.uint(4), r.uint(4), r.uint(4)
        r.done()
        return cls(fd, offset, password)


CHUNK = 200  # bytes of a document per FFF1 answer: the frame's LEN is one byte


@dataclass(frozen=True)
class ReadCounters:
    """FFF2, our extension: `CHUNK` bytes from `offset` of the shift's counters as the FN model keeps them (UTF-8
    JSON: the X report's shift state, totals per operation and VAT rate, cash in/out and the drawer; with the
    shift closed, its state and the drawer). A real register keeps these in money and operation registers
    (0x1A, 0x1B) whose numbering is model-specific; one JSON read keeps the host's X report the model's."""

    offset: int = 0
    password: int = 30

    def encode(self) -> bytes:
        return uint(self.password, 4) + uint(self.offset, 4)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        password, offset = r.uint(4), r.uint(4)
        r.done()
        return cls(offset, password)


# -- answers ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FnStatus:
    """FF01: life state (`modes.FnLifeState`), the document being built (`modes.FnDocumentInProgress`),
    whether it has data, shift open, warning flags, the last document's date-time, FN serial, last FD."""

    life_state: int
    current_document: int
    document_data: int
    shift_open: bool
    warnings: int
    last_document_at: datetime | None
    fn_serial: str
    last_fd: int

    def encode(self) -> bytes:
        when = datetime5(self.last_document_at) if self.last_document_at else bytes(5)
        return (bytes([self.life_state, self.current_document, self.document_data, int(self.shift_open),
                       self.warnings]) + when + ascii_field(self.fn_serial, 16) + uint(self.last_fd, 4))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        life, current, has_data, shift, warnings = r.take(5)
        return cls(life, current, has_data, bool(shift), warnings, r.datetime5(), r.ascii(16), r.uint(4))


@dataclass(frozen=True)
class FnExpiry:
    """FF03: the FN's last valid day, re-registrations left and made."""

    valid_until: date
    registrations_left: int
    registrations_made: int

    def encode(self) -> bytes:
        return date3(self.valid_until) + bytes([self.registrations_left, self.registrations_made])

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        valid = r.date3()
        return cls(valid or date(2000, 1, 1), r.uint(1), r.uint(1))


@dataclass(frozen=True)
class OfdExchange:
    """FF39: exchange flags (`modes.OfdExchangeFlag`), message read state, documents waiting for the OFD, the
    first of them and its date-time."""

    flags: int
    read_state: int
    count: int
    first_fd: int
    first_at: datetime | None

    def encode(self) -> bytes:
        return (bytes([self.flags, self.read_state]) + uint(min(self.count, 0xFFFF), 2) + uint(self.first_fd, 4)
                + (datetime5(self.first_at) if self.first_at else bytes(5)))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        return cls(r.uint(1), r.uint(1), r.uint(2), r.uint(4), r.datetime5())


@dataclass(frozen=True)
class Unacknowledged:
    """FF3F: how many documents the OFD has not acknowledged."""

    count: int

    def encode(self) -> bytes:
        return uint(min(self.count, 0xFFFF), 2)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return cls(Reader(data).uint(2))


@dataclass(frozen=True)
class ShiftParams:
    """FF40: shift open, its number, and the number of the shift's last receipt (0: none yet)."""

    shift_open: bool
    shift_number: int
    receipt_number: int

    def encode(self) -> bytes:
        return bytes([int(self.shift_open)]) + uint(self.shift_number, 2) + uint(self.receipt_number, 2)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        return cls(bool(r.uint(1)), r.uint(2), r.uint(2))


RECEIPT_LIKE = (3, 31)
SHIFT_REPORTS = (2, 5)


@dataclass(frozen=True)
class FoundDocument:
    """FF0A: type, whether the OFD acknowledged it, date-time, FD, fiscal sign (4 bytes), and by type:
    receipts and corrections (3, 31) their operation (1054) and total; shift reports (2, 5) the shift;
    the registration report (1) user INN, register number, taxation systems, work modes; the state
    report (21) the unsent count and the first one's date."""

    doc_type: int
    acknowledged: bool
    datetime: datetime | None
    fd: int
    fiscal_sign: int
    operation: int | None = None
    total: int | None = None
    shift_number: int | None = None
    user_inn: str | None = None
    kkt_reg_number: str | None = None
    taxation_systems: int | None = None
    work_modes: int | None = None
    unsent_count: int | None = None
    first_unsent_date: date | None = None

    def encode(self) -> bytes:
        head = (bytes([self.doc_type, int(self.acknowledged)])
                + (datetime5(self.datetime) if self.datetime else bytes(5)) + uint(self.fd, 4)
                + uint(self.fiscal_sign, 4))
        if self.doc_type in RECEIPT_LIKE:
            return head + uint(self.operation or 0, 1) + uint(self.total or 0, 5)
        if self.doc_type in SHIFT_REPORTS:
            return head + uint(self.shift_number or 0, 2)
        if self.doc_type == 1:
            return (head + ascii_field(self.user_inn or "", 12) + ascii_field(self.kkt_reg_number or "", 20)
                    + bytes([self.taxation_systems or 0, self.work_modes or 0]))
        if self.doc_type == 21:
            return (head + uint(self.unsent_count or 0, 4)
                    + (date3(self.first_unsent_date) if self.first_unsent_date else bytes(3)))
        return head

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        doc_type, acknowledged = r.uint(1), bool(r.uint(1))
        when, fd, sign = r.datetime5(), r.uint(4), r.uint(4)
        if doc_type in RECEIPT_LIKE:
            return cls(doc_type, acknowledged, when, fd, sign, operation=r.uint(1), total=r.uint(5))
        if doc_type in SHIFT_REPORTS:
            return cls(doc_type, acknowledged, when, fd, sign, shift_number=r.uint(2))
        if doc_type == 1:
            return cls(doc_type, acknowledged, when, fd, sign, user_inn=r.ascii(12), kkt_reg_number=r.ascii(20),
                       taxation_systems=r.uint(1), work_modes=r.uint(1))
        if doc_type == 21:
            return cls(doc_type, acknowledged, when, fd, sign, unsent_count=r.uint(4), first_unsent_date=r.date3())
        return cls(doc_type, acknowledged, when, fd, sign)


@dataclass(frozen=True)
class CloseCheckExAnswer:
    """FF45: change, and the receipt's FD, fiscal sign and date-time, so a host needs no second question."""

    change: int
    fd: int
    fiscal_sign: int
    datetime: datetime | None

    def encode(self) -> bytes:
        return (uint(self.change, 5) + uint(self.fd, 4) + uint(self.fiscal_sign, 4)
                + (datetime5(self.datetime) if self.datetime else bytes(5)))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        return cls(r.uint(5), r.uint(4), r.uint(4), r.datetime5())


@dataclass(frozen=True)
class StateReportAnswer:
    """FF38 (the report on the state of settlements, document 21): its FD and fiscal sign."""

    fd: int
    fiscal_sign: int

    def encode(self) -> bytes:
        return uint(self.fd, 4) + uint(self.fiscal_sign, 4)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        return cls(r.uint(4), r.uint(4))


@dataclass(frozen=True)
class DocumentChunk:
    """FFF1's answer: the document's whole length in bytes, the CRC-32 of the whole, and the chunk asked for
    (empty past its end). The frame's XOR check lets two flips of one bit through, which a 200-byte answer on a
    noisy line meets often; the CRC makes a damaged document a re-read, never a wrong fiscal sign."""

    length: int
    crc32: int
    chunk: bytes

    def encode(self) -> bytes:
        return uint(self.length, 4) + uint(self.crc32, 4) + self.chunk

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        return cls(r.uint(4), r.uint(4), r.rest())


@dataclass(frozen=True)
class Acknowledged:
    """FFF0's answer: 1 if the document counted as unsent until now, 0 if it was acknowledged before."""

    newly: bool

    def encode(self) -> bytes:
        return bytes([int(self.newly)])

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return cls(bool(Reader(data).uint(1)))
