"""The Shtrih-M commands the emulator serves and the `real` driver sends: one table, both directions.

Each command names its request and answer layout (`device_layouts.py`, `fn_layouts.py`) and whose password it
takes: an operator's (1-28 cashiers, 29 administrator, 30 system administrator: any of them) or an
administrator's (29 or 30: reports and the FN's queries, as public drivers send them). A host encodes a
request with `encode_request` and reads the device's payload with `decode_answer`; the device decodes with
`decode_request` and answers with `encode_answer`. Framing is `frames.py`'s.

What is fact and what is ours: the layouts of 0x10, 0x11, 0x40, 0x41, 0x50, 0x51, 0x80, 0x82, 0x85, 0x88,
0x8D, 0xB0, 0xE0, 0xFC, FF01, FF03, FF0A, FF0C, FF38, FF39, FF3F, FF40 come from the reference and public drivers;
FF45/FF46 from a Shtrih log parser's field lists; FF35 opening an FFD 1.2 correction check (its tags by FF0C,
items by FF46, closed by FF45 or 0x85) and FF4D carrying the last item's tags (2000 marking code, 1162
product code) are our reading; FFF0 (acknowledge a document), FFF1 (read a document whole, in chunks) and
FFF2 (read the shift's counters, in chunks) are our extensions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .device_layouts import (
    CashAmount,
    CashAnswer,
    CloseCheck,
    CloseCheckAnswer,
    DeviceType,
    Empty,
    FullStatus,
    NoData,
    OpenCheck,
    OperatorNumber,
    PasswordOnly,
    Sale,
    ShortStatus,
)
from .fn_layouts import (
    Acknowledge,
    Acknowledged,
    CloseCheckEx,
    CloseCheckExAnswer,
    DocumentChunk,
    FindDocument,
    FnExpiry,
    FnStatus,
    FoundDocument,
    OfdExchange,
    Operation,
    ReadCounters,
    ReadDocument,
    SendTlv,
    ShiftParams,
    StateReportAnswer,
    Unacknowledged,
)
from .frames import answer_payload, command_bytes, split_answer, split_request

OPERATOR_PASSWORDS = range(1, 31)  # the password of operator n is n by default (a device's table 2)
ADMIN_PASSWORDS = (29, 30)
DEFAULT_OPERATOR_PASSWORD = 1
DEFAULT_ADMIN_PASSWORD = 30

DEVICE_TYPE = 0xFC
SHORT_STATUS = 0x10
FULL_STATUS = 0x11
X_REPORT = 0x40
Z_REPORT = 0x41
CASH_IN = 0x50
CASH_OUT = 0x51
SALE = 0x80
RETURN_SALE = 0x82
CLOSE_CHECK = 0x85
CANCEL_CHECK = 0x88
OPEN_CHECK = 0x8D
CONTINUE_PRINTING = 0xB0
OPEN_SHIFT = 0xE0
FN_STATUS = 0xFF01
FN_EXPIRY = 0xFF03
FN_FIND_DOCUMENT = 0xFF0A
FN_SEND_TLV = 0xFF0C
FN_BEGIN_CORRECTION = 0xFF35
FN_STATE_REPORT = 0xFF38
FN_OFD_EXCHANGE = 0xFF39
FN_UNACKNOWLEDGED = 0xFF3F
FN_SHIFT_PARAMS = 0xFF40
FN_CLOSE_CHECK_EX = 0xFF45
FN_OPERATION = 0xFF46
FN_SEND_ITEM_TLV = 0xFF4D
ACKNOWLEDGE = 0xFFF0  # ours
READ_DOCUMENT = 0xFFF1  # ours
READ_COUNTERS = 0xFFF2  # ours


@dataclass(frozen=True)
class Command:
    code: int
    name: str
    request: Any  # a layout class: .decode(bytes) -> message; message.encode() -> bytes
    answer: Any
    admin: bool = False  # takes an administrator's password (29, 30)
    password: bool = True  # the request starts with a password (all but 0xFC)


COMMANDS: dict[int, Command] = {c.code: c for c in (
    Command(DEVICE_TYPE, "device type", NoData, DeviceType, password=False),
    Command(SHORT_STATUS, "short status", PasswordOnly, ShortStatus),
    Command(FULL_STATUS, "full status", PasswordOnly, FullStatus),
    Command(X_REPORT, "X report", PasswordOnly, OperatorNumber, admin=True),
    Command(Z_REPORT, "Z report (close shift)", PasswordOnly, OperatorNumber, admin=True),
    Command(CASH_IN, "cash in", CashAmount, CashAnswer),
    Command(CASH_OUT, "cash out", CashAmount, CashAnswer),
    Command(SALE, "sale", Sale, OperatorNumber),
    Command(RETURN_SALE, "return sale", Sale, OperatorNumber),
    Command(CLOSE_CHECK, "close check", CloseCheck, CloseCheckAnswer),
    Command(CANCEL_CHECK, "cancel check", PasswordOnly, OperatorNumber),
    Command(OPEN_CHECK, "open check", OpenCheck, OperatorNumber),
    Command(CONTINUE_PRINTING, "continue printing", PasswordOnly, OperatorNumber),
    Command(OPEN_SHIFT, "open shift", PasswordOnly, Empty),
    Command(FN_STATUS, "FN status", PasswordOnly, FnStatus, admin=True),
    Command(FN_EXPIRY, "FN expiry", PasswordOnly, FnExpiry, admin=True),
    Command(FN_FIND_DOCUMENT, "find FN document", FindDocument, FoundDocument, admin=True),
    Command(FN_SEND_TLV, "send TLV", SendTlv, Empty),
    Command(FN_BEGIN_CORRECTION, "begin correction check", PasswordOnly, Empty),
    Command(FN_STATE_REPORT, "state of settlements report", PasswordOnly, StateReportAnswer, admin=True),
    Command(FN_OFD_EXCHANGE, "OFD exchange status", PasswordOnly, OfdExchange, admin=True),
    Command(FN_UNACKNOWLEDGED, "documents without OFD acknowledgement", PasswordOnly, Unacknowledged, admin=True),
    Command(FN_SHIFT_PARAMS, "shift parameters", PasswordOnly, ShiftParams, admin=True),
    Command(FN_CLOSE_CHECK_EX, "close check v2", CloseCheckEx, CloseCheckExAnswer),
    Command(FN_OPERATION, "operation v2", Operation, Empty),
    Command(FN_SEND_ITEM_TLV, "send item TLV", SendTlv, Empty),
    Command(ACKNOWLEDGE, "acknowledge document (emulator extension)", Acknowledge, Acknowledged, admin=True),
    Command(READ_DOCUMENT, "read document (emulator extension)", ReadDocument, DocumentChunk, admin=True),
    Command(READ_COUNTERS, "read shift counters (emulator extension)", ReadCounters, DocumentChunk, admin=True),
)}  # fmt: skip


class UnknownCommand(KeyError):
    """A command code the table does not have: the device answers 0x37."""


@dataclass(frozen=True)
class Answer:
    code: int
    error: int
    message: Any | None  # None when the error byte is not 0 (the device sends nothing after it)
    data: bytes  # the bytes after the error byte, as received

    @property
    def ok(self) -> bool:
        return self.error == 0


def encode_request(code: int, message: Any) -> bytes:
    """Command code + data: the payload a host puts in a frame."""
    return command_bytes(code) + message.encode()


def decode_request(payload: bytes) -> tuple[Command, Any]:
    """The command and its request message; `UnknownCommand`, or `layout.LayoutError` for bad data."""
    code, data = split_request(payload)
    command = COMMANDS.get(code)
    if command is None:
        raise UnknownCommand(code)
    return command, command.request.decode(data)


def encode_answer(code: int, message: Any | None = None, error: int = 0) -> bytes:
    """Command code + error byte + data; an error answer carries nothing after the error byte."""
    return answer_payload(code, error, message.encode() if message is not None and error == 0 else b"")


def decode_answer(payload: bytes) -> Answer:
    """The device's answer; its message decoded by the command's layout when the error byte is 0."""
    code, error, data = split_answer(payload)
    command = COMMANDS.get(code)
    message = command.answer.decode(data) if command is not None and error == 0 else None
    return Answer(code, error, message, data)
