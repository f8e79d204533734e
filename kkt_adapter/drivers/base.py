"""What the fiscal service needs from a register, whatever its kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from fiscal.fn import Cashier, CashOperation  # one class each for the adapter and the fiscal drive model

from ..correction import CorrectionRequest
from ..receipt import FiscalRequest


@dataclass(frozen=True)
class FiscalData:
    """The register's answer for one receipt: the requisites the buyer and the OFD see."""

    fn_serial: str  # 1041
    kkt_reg_number: str  # 1037
    fiscal_doc_number: int  # 1040
    fiscal_sign: str  # 1077, decimal
    shift_number: int  # 1038
    receipt_number: int  # 1042
    datetime: str  # 1012, ISO 8601 with the register's offset
    operation: int  # 1054
    total: int  # 1020, kopecks
    qr: str
    ffd_version: int = 4  # 1209: 4 = FFD 1.2

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)  # flat and frozen: no need for asdict's deep copy


class KktError(Exception):
    """A register refused or failed; `code` names the condition for the POS (`shift_expired`, ...), and
    `device_code` is the device's own code for it (FN 0x16, ...) when the register gave one."""

    def __init__(self, code: str, message: str, device_code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.device_code = device_code


@dataclass(frozen=True)
class RegisterDocument:
    """A fiscal document other than a receipt as the register signed it: open shift (2), close shift (5, the Z
    report), state report (21), correction receipt (31, with its receipt fields and QR)."""

    fn_serial: str  # 1041
    fiscal_doc_number: int  # 1040
    fiscal_sign: str  # 1077
    doc_type: int
    shift_number: int  # 1038
    datetime: str  # 1012
    fields: dict[str, Any]  # the document's other fields (Z totals per operation and VAT rate, items, ...)

    def to_dict(self) -> dict[str, Any]:
        return {**self.fields, **{k: v for k, v in self.__dict__.items() if k != "fields"}}


class KktDriver(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def fiscalize(self, request: FiscalRequest, ext_id: str) -> FiscalData:
        """Sign and print one receipt. `ext_id` tags the document so it can be found after a crash."""

    async def find(self, ext_id: str) -> FiscalData | None:
        """The document fiscalized for `ext_id`, if the fiscal drive holds one."""

    async def status(self) -> dict[str, Any]:
        """The FN's state for /v1/health: shift, unsent count and oldest unsent date, and `blocked` (the
        refusal a sale would get now, as {"code", "device_code", "message"}, or None)."""

    async def open_shift(self, cashier: Cashier | None = None, ext_id: str | None = None) -> RegisterDocument:
        """Open a shift (document 2); KktError `shift_already_open` when one is open. `ext_id`, as for receipts,
        lets `find_operation` return the document after a crash."""

    async def close_shift(self, cashier: Cashier | None = None, ext_id: str | None = None) -> RegisterDocument:
        """Close the shift with a Z report (document 5) holding its totals; KktError `shift_closed` if none."""

    async def state_report(self, ext_id: str | None = None) -> RegisterDocument:
        """Document 21: the FN's unsent count and oldest unsent document."""

    async def correct(self, request: CorrectionRequest, ext_id: str | None = None) -> RegisterDocument:
        """A correction receipt (document 31)."""

    async def cash(self, kind: str, amount: int, cashier: Cashier | None = None,
                   ext_id: str | None = None) -> CashOperation:
        """Cash into (`in`) or out of (`out`) the drawer: a non-fiscal document; `insufficient_cash` when the
        drawer holds less than is taken out."""

    async def find_operation(self, ext_id: str) -> RegisterDocument | CashOperation | None:
        """What the register signed or recorded for `ext_id` (a shift document, report, correction or cash
        operation), if anything."""

    async def x_report(self) -> dict[str, Any]:
        """The open shift's counters so far (no fiscal document)."""

    async def shift_state(self) -> dict[str, Any]:
        """Whether a shift is open, its number, when it opened, its receipts, and whether it is over 24 h."""

    async def acknowledge(self, fiscal_doc_number: int, operator_sign: str | None = None) -> None:
        """The OFD confirmed this document: the FN stops counting it as unsent."""

    async def documents_after(self, fiscal_doc_number: int) -> list[dict[str, Any]]:
        """Signed documents other than receipts after that number, oldest first, each as the OFD receives it."""
