"""What the fiscal service needs from a register, whatever its kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

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
    """A register refused or failed; `code` names the condition for the POS."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class KktDriver(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def fiscalize(self, request: FiscalRequest, ext_id: str) -> FiscalData:
        """Sign and print one receipt. `ext_id` tags the document so it can be found after a crash."""

    async def find(self, ext_id: str) -> FiscalData | None:
        """The document fiscalized for `ext_id`, if the fiscal drive holds one."""

    async def status(self) -> dict[str, Any]: ...
