"""Modes, submodes, check types and FN states as the status commands report them (0x10, 0x11, FF01).

The mode byte's low nibble is the mode, its high nibble the mode's status: in mode 8 (check open) the check's
type. Submodes say what the printer is doing; a host waits for submode 0 before a command that prints.
"""

from __future__ import annotations

from enum import IntEnum


class Mode(IntEnum):
    SHIFT_OPEN = 2  # the shift is open, 24 hours not over
    SHIFT_EXPIRED = 3  # the shift is open and over 24 hours: close it (Z) before selling
    SHIFT_CLOSED = 4
    CHECK_OPEN = 8


class Submode(IntEnum):
    IDLE = 0  # paper present, nothing printing
    NO_PAPER = 1  # out of paper, nothing was printing
    NO_PAPER_PRINTING = 2  # ran out while printing: waits for paper
    WAITING_CONTINUE = 3  # paper back after running out while printing: waits for 0xB0
    PRINTING_REPORT = 4  # printing a long report (X, Z)
    PRINTING = 5  # printing an operation (a receipt, a cash document)


class CheckType(IntEnum):
    """0x8D's check type and mode 8's status nibble."""

    SALE = 0
    BUY = 1
    RETURN_SALE = 2
    RETURN_BUY = 3


# Tag 1054 (the FN's calculation sign, FF46's operation byte) of each check type, and back.
OPERATION_OF_CHECK = {CheckType.SALE: 1, CheckType.RETURN_SALE: 2, CheckType.BUY: 3, CheckType.RETURN_BUY: 4}
CHECK_OF_OPERATION = {operation: check for check, operation in OPERATION_OF_CHECK.items()}


def mode_byte(mode: Mode, status: int = 0) -> int:
    return (status << 4) | mode


def split_mode(byte: int) -> tuple[int, int]:
    """(mode, status) of a mode byte."""
    return byte & 0x0F, byte >> 4


class FnLifeState(IntEnum):
    """FF01's life state byte."""

    READY_TO_REGISTER = 0x01
    FISCAL = 0x03
    POST_FISCAL = 0x07  # closed: the archive is read-only


class FnDocumentInProgress(IntEnum):
    """FF01's "current document": what the FN has been told to build and not yet signed."""

    NONE = 0x00
    REGISTRATION = 0x01
    OPEN_SHIFT = 0x02
    RECEIPT = 0x04
    CLOSE_SHIFT = 0x08
    CLOSE_FN = 0x10
    CORRECTION = 0x13
    STATE_REPORT = 0x17


class FnWarning(IntEnum):
    """FF01's warning flags (bits)."""

    REPLACE_URGENTLY = 0x01  # expires within 3 days
    RESOURCE_ENDING = 0x02  # expires within 30 days
    MEMORY_ALMOST_FULL = 0x04  # unsent documents at 90% of the storage
    OFD_TIMEOUT = 0x08  # the oldest unsent document is past the offline limit


class OfdExchangeFlag(IntEnum):
    """FF39's status byte (bits); the emulator sets MESSAGE_PENDING while documents wait for the OFD."""

    TRANSPORT_CONNECTED = 0x01
    MESSAGE_PENDING = 0x02
    WAITING_RECEIPT = 0x04
