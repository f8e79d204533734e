"""The error byte of a Shtrih-M answer: what the device says, for the emulator to answer and the driver to map.

On FN models codes 0x01-0x20 are the fiscal drive's own errors, passed through; from 0x33 up they are the
device's. So "shift not open" is 0x3D, never the FN's 0x16 (shift over 24 hours).
"""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    OK = 0x00
    # The fiscal drive's errors.
    FN_UNKNOWN_COMMAND = 0x01
    FN_BAD_STATE = 0x02
    FN_FAILURE = 0x03
    FN_CRYPTO_FAILURE = 0x04
    FN_EXPIRED = 0x05
    FN_ARCHIVE_FULL = 0x06
    FN_BAD_DATETIME = 0x07
    FN_NO_DATA = 0x08
    FN_BAD_PARAMETER = 0x09
    FN_TLV_TOO_LARGE = 0x10
    FN_NO_TRANSPORT = 0x11
    FN_CRYPTO_EXHAUSTED = 0x12
    FN_STORAGE_EXHAUSTED = 0x14
    FN_OFD_WAIT_EXHAUSTED = 0x15
    FN_SHIFT_OVER_24H = 0x16
    FN_BAD_TIME_GAP = 0x17
    FN_OFD_MESSAGE_REFUSED = 0x20
    # The device's errors.
    BAD_PARAMETERS = 0x33
    BAD_PARAMETER_FOR_SETTINGS = 0x35
    BAD_PARAMETERS_FOR_MODEL = 0x36
    COMMAND_NOT_SUPPORTED = 0x37
    SHIFT_OPEN = 0x3C
    SHIFT_NOT_OPEN = 0x3D
    PAYMENTS_LESS_THAN_TOTAL = 0x45
    NOT_ENOUGH_CASH = 0x46
    CHECK_OPEN = 0x4A
    CHECK_BUFFER_FULL = 0x4B
    CASHLESS_OVER_TOTAL = 0x4D
    SHIFT_OVER_24H = 0x4E
    WRONG_PASSWORD = 0x4F
    STILL_PRINTING = 0x50
    WAITING_FOR_CONTINUE = 0x58
    BAD_OPERATION = 0x5E
    NEGATIVE_CHECK_TOTAL = 0x5F
    NO_PAPER = 0x6B
    NOT_IN_THIS_SUBMODE = 0x72
    WRONG_MODE = 0x73
    ZERO_CHECK_TOTAL = 0x8E


_MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.OK: "no error",
    ErrorCode.FN_UNKNOWN_COMMAND: "FN: unknown command, bad message format or parameters",
    ErrorCode.FN_BAD_STATE: "FN: the fiscal drive is in the wrong state for this command",
    ErrorCode.FN_FAILURE: "FN: the fiscal drive failed",
    ErrorCode.FN_CRYPTO_FAILURE: "FN: the crypto coprocessor failed",
    ErrorCode.FN_EXPIRED: "FN: the fiscal drive's service life is over",
    ErrorCode.FN_ARCHIVE_FULL: "FN: the fiscal drive's archive is full",
    ErrorCode.FN_BAD_DATETIME: "FN: bad date/time (the clock is before the last document)",
    ErrorCode.FN_NO_DATA: "FN: no data for this request",
    ErrorCode.FN_BAD_PARAMETER: "FN: a command parameter has a bad value",
    ErrorCode.FN_TLV_TOO_LARGE: "FN: the TLV data is too large",
    ErrorCode.FN_NO_TRANSPORT: "FN: no transport connection to the OFD",
    ErrorCode.FN_CRYPTO_EXHAUSTED: "FN: the crypto coprocessor's resource is exhausted",
    ErrorCode.FN_STORAGE_EXHAUSTED: "FN: the fiscal drive's storage is exhausted",
    ErrorCode.FN_OFD_WAIT_EXHAUSTED: "FN: a document has waited 30 days for the OFD; none more until it is sent",
    ErrorCode.FN_SHIFT_OVER_24H: "FN: the shift has lasted more than 24 hours",
    ErrorCode.FN_BAD_TIME_GAP: "FN: bad time difference between two operations",
    ErrorCode.FN_OFD_MESSAGE_REFUSED: "FN: the OFD's message cannot be accepted",
    ErrorCode.BAD_PARAMETERS: "bad parameters in the command",
    ErrorCode.BAD_PARAMETER_FOR_SETTINGS: "a parameter is wrong for these settings",
    ErrorCode.BAD_PARAMETERS_FOR_MODEL: "bad parameters for this device model",
    ErrorCode.COMMAND_NOT_SUPPORTED: "the command is not supported by this device",
    ErrorCode.SHIFT_OPEN: "the shift is open: operation impossible",
    ErrorCode.SHIFT_NOT_OPEN: "the shift is not open: operation impossible",
    ErrorCode.PAYMENTS_LESS_THAN_TOTAL: "the payments add up to less than the check total",
    ErrorCode.NOT_ENOUGH_CASH: "not enough cash in the drawer",
    ErrorCode.CHECK_OPEN: "a check is open: operation impossible",
    ErrorCode.CHECK_BUFFER_FULL: "the check buffer is full",
    ErrorCode.CASHLESS_OVER_TOTAL: "the cashless payments exceed the check total",
    ErrorCode.SHIFT_OVER_24H: "the shift has lasted more than 24 hours",
    ErrorCode.WRONG_PASSWORD: "wrong password",
    ErrorCode.STILL_PRINTING: "still printing the previous command's result",
    ErrorCode.WAITING_FOR_CONTINUE: "waiting for the continue-printing command (0xB0)",
    ErrorCode.BAD_OPERATION: "incorrect operation",
    ErrorCode.NEGATIVE_CHECK_TOTAL: "the check total is negative",
    ErrorCode.NO_PAPER: "no paper in the receipt printer",
    ErrorCode.NOT_IN_THIS_SUBMODE: "the command is not supported in this submode",
    ErrorCode.WRONG_MODE: "the command is not supported in this mode",
    ErrorCode.ZERO_CHECK_TOTAL: "the check total is zero",
}

ERRORS: dict[int, tuple[str, str]] = {int(code): (code.name, message) for code, message in _MESSAGES.items()}

FN_ERRORS = range(0x01, 0x21)  # on FN models, these codes come from the fiscal drive


def describe(code: int) -> str:
    """`0x4F WRONG_PASSWORD: wrong password`; a code the table lacks is named UNKNOWN."""
    name, message = ERRORS.get(code, ("UNKNOWN", "FN error without a description" if code in FN_ERRORS
                                      else "device error without a description"))
    return f"0x{code:02X} {name}: {message}"
