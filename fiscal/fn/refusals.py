"""What the fiscal drive refuses, with a stable code for the POS and the device's own code.

Device codes are those of a Shtrih-M register with an FN (../shared/reference/fiscal.md): FN errors
0x01-0x20 (0x05 FN expired, 0x07 date/time before the last document, 0x14 storage exhausted, 0x15 the
30-day wait for the OFD exhausted, 0x16 shift over 24 h) and device errors (0x3D shift not open, 0x33 bad
parameters, 0x46 not enough cash in the drawer).
Two are our choice, the reference naming none: opening a shift that is open is 0x73, the device's
"command not supported in this mode"; any document after the FN was closed is 0x02, the FN's "this
command needs another FN state" (from the FN protocol's error table, not confirmed by the reference).
"""

from __future__ import annotations

REFUSALS: dict[str, tuple[int, str]] = {
    "shift_expired": (0x16, "the shift has been open for more than {hours} hours: close it (Z report) and open "
                            "a new one"),
    "fn_offline_limit": (0x15, "the OFD has not acknowledged fiscal document {fd} of {since} for more than {days} "
                               "days: the fiscal drive signs nothing until it is delivered"),
    "fn_clock_before_last_document": (0x07, "the register's clock ({now}) is before the last fiscal document "
                                            "({last}): set the clock right"),
    "fn_expired": (0x05, "the fiscal drive expired on {until}: replace it"),
    "fn_storage_full": (0x14, "the fiscal drive holds {count} documents the OFD has not acknowledged, its limit: "
                              "deliver them first"),
    "shift_closed": (0x3D, "no shift is open: open one first"),
    "shift_already_open": (0x73, "shift {shift} is already open"),
    "fn_closed": (0x02, "the fiscal drive was closed on {closed}; it signs nothing more"),
    "fn_not_registered": (0x02, "the fiscal drive is not registered yet"),
    "fn_already_registered": (0x02, "the fiscal drive {fn} is registered already"),
    "shift_open": (0x73, "shift {shift} is open: close it (Z report) first"),
    "correction_invalid": (0x33, "correction receipt: {problem}"),
    "cash_amount_invalid": (0x33, "a cash amount is more than zero, not {amount}"),
    "insufficient_cash": (0x46, "the drawer holds {drawer} kopecks, less than the {amount} to take out"),
}  # fmt: skip


class FnRefusal(Exception):
    """The fiscal drive (or its register) refused an operation; nothing was signed."""

    def __init__(self, code: str, **details: object) -> None:
        device_code, template = REFUSALS[code]
        message = template.format(**details)
        super().__init__(message)
        self.code = code
        self.device_code = device_code
        self.message = message

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "device_code": self.device_code, "message": self.message}

    def __repr__(self) -> str:
        return f"FnRefusal({self.code!r}, device_code=0x{self.device_code:02X})"


class DuplicateExtId(Exception):
    """A document for this external id is already signed (the caller retried; look it up instead)."""
