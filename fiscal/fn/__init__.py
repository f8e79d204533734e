"""The fiscal drive model every emulated register sits on (the adapter's mock driver, the serial emulator)."""

from .config import FnConfig, inn_problem
from .documents import (
    CLOSE_FN,
    CLOSE_SHIFT,
    CORRECTION,
    OPEN_SHIFT,
    OPERATIONS,
    RECEIPT,
    REGISTRATION,
    STATE_REPORT,
    Cashier,
    CashOperation,
    FnCorrection,
    FnDocument,
    FnItem,
    FnReceipt,
)
from .drive import FiscalDrive
from .refusals import REFUSALS, DuplicateExtId, FnRefusal

__all__ = [
    "CLOSE_FN", "CLOSE_SHIFT", "CORRECTION", "CashOperation", "Cashier", "DuplicateExtId", "FiscalDrive",
    "FnConfig", "FnCorrection", "FnDocument", "FnItem", "FnReceipt", "FnRefusal", "OPEN_SHIFT", "OPERATIONS",
    "RECEIPT", "REFUSALS", "REGISTRATION", "STATE_REPORT", "inn_problem",
]
