"""The fiscal documents the OFD receives: their structure, as pydantic models (the rules: rules.py).

Every FN document type goes to the OFD: registration report (1), open shift (2), receipt (3), close shift (5),
FN close (6), state report (21) and correction receipt (31). `doc_type` says which; it defaults to 3, so a
receipt written before the field existed (the adapter's today) is still a receipt. Field names are the fiscal
drive model's (`fiscal.fn`), each standing for an FFD tag.

Structure (types, ranges, formats, required fields per type) is a strict pydantic model read straight from
the JSON bytes, so money must be JSON integers (kopecks) and a float or a boolean is refused. The arithmetic
and the code tables are checked afterwards, in `rules.check_rules`, in the order an operator reading the document
would. VAT sums (tag 1200 per item, the per-rate sums of the receipt) are optional for another POS's
documents (the adapter's carry them); when present they must be what `fiscal.fn.vat` computes, the register's
own rule. A
receipt's settlement (1214 per item, the payment forms 1031, 1081, 1215, 1216, 1217) is checked by
`fiscal.settlement`, the rules the adapter refuses a POS's receipt by; marking codes (2000, 1162) are taken as
given, without their crypto check.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import IntEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from fiscal.requisites import BUYER_CONTACT_PATTERN  # tag 1008, as the adapter checks it
from fiscal.settlement import Settlement  # tags 1214-1217, as the adapter checks them
from fiscal.vat import VAT_CODE_NAMES, VAT_RATE_CODES

# Tag 1054.
OPERATIONS: dict[int, str] = {1: "sale", 2: "sale refund", 3: "expense", 4: "expense refund"}
VAT_CODES: dict[int, str] = VAT_CODE_NAMES  # tag 1199, the table the adapter writes from (fiscal.vat)
RATE_OF_CODE: dict[int, str] = {code: rate for rate, code in VAT_RATE_CODES.items()}  # tag 1199 → rate name
# Tag 1209.
FFD_VERSIONS: dict[int, str] = {2: "1.05", 4: "1.2"}
DOC_TYPES: dict[int, str] = {
    1: "registration report", 2: "open shift", 3: "receipt", 5: "close shift", 6: "FN close",
    21: "state report", 31: "correction receipt",
}  # fmt: skip
RECEIPT = 3
RECEIPT_TYPES = frozenset({RECEIPT, 31})  # what the seed's `receipts_received` counts
FULL_PAYMENT = 4  # tag 1214 when an item has none


class ResponseCode(IntEnum):
    """The emulator's OFD response codes (tag 1022; 0 = accepted). Non-zero values are our own, not FNS's."""

    ACCEPTED = 0
    MALFORMED = 1  # not JSON, wrong type, missing field
    INVALID_VALUE = 2  # a value out of range or in the wrong format
    UNKNOWN_CODE = 3  # document type, operation, VAT rate, taxation system or FFD version not in the tables
    ARITHMETIC = 4  # sums that do not add up (item sums, totals, payments, VAT sums, shift totals)
    CONFLICT = 5  # the same FN + FD number already received with different content


class DocumentRejected(Exception):
    """The OFD refuses the document; `field` is the path of the first offending value."""

    def __init__(self, code: ResponseCode, field: str, message: str, status_code: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.code = code
        self.field = field
        self.message = message
        self.status_code = status_code
        self.errors: list[dict[str, str]] = [{"field": field, "message": message}]

    def payload(self) -> dict[str, Any]:
        return {
            "status": "rejected",
            "response_code": int(self.code),
            "message": f"{self.field}: {self.message}",
            "field": self.field,
            "errors": self.errors,
        }


class Problem(BaseModel):
    field: str
    message: str


class Rejection(BaseModel):
    """`DocumentRejected.payload()`, as the OpenAPI document shows it."""

    status: Literal["rejected"]
    response_code: int
    message: str
    field: str
    errors: list[Problem]


Digits16 = Annotated[str, StringConstraints(pattern=r"^\d{16}$")]
Inn = Annotated[str, StringConstraints(pattern=r"^(\d{10}|\d{12})$")]
Text256 = Annotated[str, StringConstraints(min_length=1, max_length=256)]
# Tag 1023 is an FVLN of at most 8 bytes; 12 whole digits is far more than any sale needs, and keeps
# price x quantity within exact decimal arithmetic.
Quantity = Annotated[str, StringConstraints(pattern=r"^\d{1,12}(\.\d{1,3})?$")]
# Tags 1079, 1043, 1020, 1031, 1081 are VLNs of at most 6 bytes.
MAX_KOPECKS = 2**48 - 1
Kopecks = Annotated[int, Field(ge=0, le=MAX_KOPECKS)]
Count = Annotated[int, Field(ge=0, le=2**32 - 1)]
FdNumber = Annotated[int, Field(ge=1, le=2**32 - 1)]

_STRICT = ConfigDict(strict=True, extra="ignore", frozen=True)


class Item(BaseModel):
    """Tag 1059."""

    model_config = _STRICT

    name: str = Field(min_length=1, max_length=128)  # 1030
    price: Kopecks  # 1079
    quantity: Quantity  # 1023, a decimal string with up to 3 decimals
    sum: Kopecks  # 1043
    vat: int  # 1199
    vat_sum: Kopecks | None = None  # 1200, checked when present
    subject_sign: int | None = Field(default=None, ge=1)  # 1212
    payment_method_sign: int | None = Field(default=None, ge=1, le=7)  # 1214 (4 when absent)
    unit: int | None = Field(default=None, ge=0, le=255)  # 2108
    marking_code: str | None = Field(default=None, min_length=1, max_length=256)  # 2000, not checked cryptographically
    product_code: Annotated[str, StringConstraints(pattern=r"^([0-9A-Fa-f]{2}){1,32}$")] | None = None  # 1162

    @property
    def quantity_value(self) -> Decimal:
        return Decimal(self.quantity)


class Payments(BaseModel):
    model_config = _STRICT

    cash: Kopecks  # 1031
    electronic: Kopecks  # 1081
    prepayment: Kopecks = 0  # 1215, an advance counted
    credit: Kopecks = 0  # 1216
    other: Kopecks = 0  # 1217, other consideration

    def settlement(self) -> Settlement:
        return Settlement(self.cash, self.electronic, self.prepayment, self.credit, self.other)


class Document(BaseModel):
    """What every document carries; identified at the OFD by (fn_serial, fiscal_doc_number)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, populate_by_name=True)

    doc_type: int
    fn_serial: Digits16  # 1041
    fiscal_doc_number: FdNumber  # 1040
    fiscal_sign: Annotated[str, StringConstraints(pattern=r"^\d{1,10}$")]  # 1077
    kkt_reg_number: str = Field(min_length=1, max_length=20)  # 1037
    issued_at: AwareDatetime = Field(alias="datetime")  # 1012
    ffd_version: int | None = None  # 1209
    user_inn: Inn | None = None  # 1018
    user_name: Text256 | None = None  # 1048
    address: Text256 | None = None  # 1009
    place: Text256 | None = None  # 1187
    kkt_serial: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,20}$")] | None = None  # 1013

    @property
    def key(self) -> tuple[str, int]:
        return self.fn_serial, self.fiscal_doc_number

    def differences(self, other: Document) -> list[str]:
        """Top-level fields whose fiscal content differs (quantities compared as numbers)."""

        def content(doc: Document) -> dict[str, Any]:
            dumped = doc.model_dump(by_alias=True)
            if "items" in dumped:
                dumped["items"] = [{**i, "quantity": Decimal(i["quantity"])} for i in dumped["items"]]
            return dumped

        mine, theirs = content(self), content(other)
        return [name for name in mine if mine.get(name) != theirs.get(name)] or (
            ["doc_type"] if type(self) is not type(other) else []
        )


class FiscalDocument(Document):
    """Document 3, a receipt (the default type): the adapter's document, with VAT sums when it has them."""

    doc_type: Literal[3] = 3
    operation: int  # 1054
    total: Kopecks  # 1020
    items: list[Item] = Field(min_length=1)  # 1059
    payments: Payments
    vat_sums: dict[str, Kopecks] | None = None  # 1102-1107 (fiscal.fn.vat), keyed by rate name; checked when present
    taxation_system: int | None = None  # 1055
    shift_number: int | None = Field(default=None, ge=1)  # 1038
    receipt_number: int | None = Field(default=None, ge=1)  # 1042
    cashier: Text256 | None = None  # 1021
    cashier_inn: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] | None = None  # 1203
    buyer_contact: Annotated[str, StringConstraints(max_length=64, pattern=BUYER_CONTACT_PATTERN)] | None = None  # 1008


class CorrectionBasis(BaseModel):
    """Tag 1174."""

    model_config = _STRICT

    date: dt.date  # 1178, the day of the settlement being corrected
    order_number: str | None = Field(default=None, min_length=1, max_length=32)  # 1179, with a tax authority's order


class CorrectionReceipt(FiscalDocument):
    """Document 31: a receipt that corrects earlier settlements, on the register's own initiative or by order."""

    doc_type: Literal[31]  # type: ignore[assignment]
    correction_type: Literal[0, 1]  # 1173: 0 own initiative, 1 by order
    correction_basis: CorrectionBasis  # 1174


class RegistrationReport(Document):
    """Document 1: the register's and the user's requisites, which the OFD keeps for the FN."""

    doc_type: Literal[1]
    ffd_version: int  # 1209
    user_inn: Inn  # 1018
    user_name: Text256  # 1048
    address: Text256  # 1009
    place: Text256  # 1187
    kkt_serial: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,20}$")]  # 1013
    taxation_systems: int = Field(ge=1, le=255)  # 1062, a bit set of 1055 values
    fn_valid_until: AwareDatetime | None = None


class ShiftReport(Document):
    shift_number: int = Field(ge=1)  # 1038
    cashier: Text256 | None = None  # 1021
    cashier_inn: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] | None = None  # 1203


class OpenShiftReport(ShiftReport):
    """Document 2."""

    doc_type: Literal[2]


class UnsentState(BaseModel):
    """What the FN reports of its documents the OFD has not confirmed (tags 1097, 1116, 1098)."""

    model_config = _STRICT

    unsent_count: Count  # 1097
    oldest_unsent_fd: FdNumber | None = None  # 1116
    oldest_unsent_at: AwareDatetime | None = None  # 1098


class RateTotals(BaseModel):
    model_config = _STRICT

    sum: Kopecks
    vat: Kopecks


class OperationTotals(BaseModel):
    """One operation's line of the Z report: counts and sums as the FN counts them."""

    model_config = _STRICT

    count: Count
    total: Kopecks
    cash: Kopecks
    electronic: Kopecks
    prepayment: Kopecks = 0  # present in a shift with advances counted (1215), credit (1216), other (1217)
    credit: Kopecks = 0
    other: Kopecks = 0
    by_rate: dict[str, RateTotals]


class CloseShiftReport(ShiftReport, UnsentState):
    """Document 5, the Z report, with the shift's totals per operation (1054 name) and VAT rate."""

    doc_type: Literal[5]
    receipts_in_shift: Count  # 1118
    documents_in_shift: Count | None = None  # 1111
    shift_totals: dict[str, OperationTotals]  # 1194


class StateReport(Document, UnsentState):
    """Document 21."""

    doc_type: Literal[21]
    shift_number: int = Field(ge=0)  # 1038, 0 before the first shift


class CloseFnReport(Document, UnsentState):
    """Document 6: the FN signs nothing after it."""

    doc_type: Literal[6]


MODELS: dict[int, type[Document]] = {
    1: RegistrationReport, 2: OpenShiftReport, 3: FiscalDocument, 5: CloseShiftReport, 6: CloseFnReport,
    21: StateReport, 31: CorrectionReceipt,
}  # fmt: skip
# The request body as the OpenAPI document shows it: one of these, told apart by `doc_type` (3 when absent).
AnyDocument = (RegistrationReport | OpenShiftReport | FiscalDocument | CloseShiftReport | CloseFnReport | StateReport
               | CorrectionReceipt)
