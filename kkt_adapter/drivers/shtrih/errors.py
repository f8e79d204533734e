"""A device's refusal or a dead line as the adapter's `KktError`, with the codes the mock register gives.

The FN's refusals keep the fiscal drive model's names (`fiscal.fn.REFUSALS`: 0x16 shift_expired, 0x15
fn_offline_limit, ...), so the POS and the health report read the same codes whichever register signs. A few
device codes mean different things per command (0x73 "wrong mode" is "shift already open" to 0xE0), so the
caller names the operation. Paper out is `paper_out`: retryable once paper is loaded (see driver.py for why a
retry never makes a second receipt). A line that does not answer is `unavailable`.
"""

from __future__ import annotations

from fiscal.fn import REFUSALS
from fiscal.shtrih.errors import ERRORS, ErrorCode, describe

from ..base import KktError
from .link import LinkError

# The FN's codes (and the device's for the same condition) to the fiscal drive model's names.
BY_DEVICE_CODE: dict[int, str] = {
    **{code: name for name, (code, _) in REFUSALS.items()
       if [n for n, (c, _) in REFUSALS.items() if c == code] == [name]},
    ErrorCode.SHIFT_OVER_24H: "shift_expired",
    ErrorCode.NO_PAPER: "paper_out",
    ErrorCode.FN_ARCHIVE_FULL: "fn_storage_full",
}

# Codes whose meaning depends on the command (the FN model's choice of code for its refusal).
BY_OPERATION: dict[str, dict[int, str]] = {
    "open_shift": {ErrorCode.WRONG_MODE: "shift_already_open", ErrorCode.SHIFT_OPEN: "shift_already_open"},
    "close_shift": {ErrorCode.WRONG_MODE: "shift_closed"},
    "correction": {ErrorCode.BAD_PARAMETERS: "correction_invalid"},
    "cash": {ErrorCode.BAD_PARAMETERS: "cash_amount_invalid"},
    "any": {ErrorCode.FN_BAD_STATE: "fn_closed"},
}

PAPER_OUT = ("the register is out of paper (0x6B): load paper and send the request again. Nothing was signed; "
             "the check left open on the device is cancelled before the retry builds a new one")


def code_name(device_code: int, operation: str) -> str:
    """The adapter's code for a device's error byte; `device_<name>` for one with no meaning to the POS."""
    named = BY_OPERATION.get(operation, {}).get(device_code) or BY_DEVICE_CODE.get(device_code) \
        or BY_OPERATION["any"].get(device_code)
    if named:
        return named
    name, _ = ERRORS.get(device_code, ("UNKNOWN", ""))
    return f"device_{name.lower()}"


def refused(device_code: int, operation: str, message: str | None = None) -> KktError:
    code = code_name(device_code, operation)
    if code == "paper_out":
        return KktError(code, PAPER_OUT, device_code)
    return KktError(code, message or f"the register refused: {describe(device_code)}", device_code)


def unavailable(exc: LinkError) -> KktError:
    return KktError("unavailable", f"the register does not answer: {exc}")
