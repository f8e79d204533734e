"""The fiscal documents the OFD receives, and the checks a real OFD would make on them.

Every FN document type goes to the OFD: registration report (1), open shift (2), receipt (3), close shift (5),
FN close (6), state report (21) and correction receipt (31). `doc_type` says which; it defaults to 3, so a
receipt written before the field existed (the adapter's today) is still a receipt. Field names are the fiscal
drive model's (`fiscal.fn`), each standing for an FFD tag.

Structure (types, ranges, formats, required fields per type) is a strict pydantic model read straight from
the JSON bytes, so money must be JSON integers (kopecks) and a float or a boolean is refused. The arithmetic
and the code tables are checked afterwards, in `check_rules`, in the order an operator reading the document
would. VAT sums (tag 1200 per item, the per-rate sums of the receipt) are optional, as the adapter's receipts
do not carry them yet; when present they must be what `fiscal.fn.vat` computes, the register's own rule. A
receipt's settlement (1214 per item, the payment forms 1031, 1081, 1215, 1216, 1217) is checked by
`fiscal.settlement`, the rules the adapter refuses a POS's receipt by; marking codes (2000, 1162) are taken as
given, without their crypto check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import IntEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from fiscal import strict_json
from fiscal.fn.config import inn_problem
from fiscal.fn.documents import OPERATIONS as OPERATION_NAMES  # the keys of a Z report's totals
from fiscal.fn.vat import RATE_FRACTIONS, vat_sum, vat_sums
from fiscal.requisites import BUYER_CONTACT_PATTERN, buyer_contact_problem  # tag 1008, as the adapter checks it
from fiscal.settlement import Settlement, settlement_problem  # tags 1214-1217, as the adapter checks them
from fiscal.taxation import TAXATION_SYSTEMS  # tag 1055, shared with the adapter
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
MARKED_GOODS = 33  # tag 1212 for goods with a marking code (2000)


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


def item_sum(price: int, quantity: Decimal) -> int:
    """Tag 1043: price × quantity rounded half up to whole kopecks, exactly (bounded inputs, ample precision)."""
    with localcontext(prec=60):
        return int((Decimal(price) * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _from_validation_error(exc: ValidationError) -> DocumentRejected:
    found = []
    for err in exc.errors(include_url=False):
        structural = err["type"] == "missing" or err["type"].endswith("_type") or err["type"] == "json_invalid"
        code = ResponseCode.MALFORMED if structural else ResponseCode.INVALID_VALUE
        found.append((code, _path(err["loc"]), err["msg"]))
    code, field, message = found[0]
    rejected = DocumentRejected(code, field, message)
    rejected.errors = [{"field": f, "message": m} for _, f, m in found]
    return rejected


def _check_receipt(doc: FiscalDocument, vat_codes: Mapping[int, str]) -> None:
    """Receipts and corrections: operation, items, totals, payments and, when present, VAT sums."""
    if doc.operation not in OPERATIONS:
        raise DocumentRejected(
            ResponseCode.UNKNOWN_CODE,
            "operation",
            f"unknown calculation sign {doc.operation}; known: 1, 2, 3, 4",
        )
    item_vats: list[tuple[str, int]] = []
    for n, item in enumerate(doc.items):
        if item.vat not in vat_codes or item.vat not in RATE_OF_CODE:
            known = ", ".join(map(str, sorted(set(vat_codes) & set(RATE_OF_CODE))))
            raise DocumentRejected(
                ResponseCode.UNKNOWN_CODE, f"items[{n}].vat", f"unknown VAT code {item.vat}; known: {known}"
            )
        if item.quantity_value <= 0:
            raise DocumentRejected(ResponseCode.INVALID_VALUE, f"items[{n}].quantity", "must be greater than 0")
        expected = item_sum(item.price, item.quantity_value)
        if item.sum != expected:
            raise DocumentRejected(
                ResponseCode.ARITHMETIC,
                f"items[{n}].sum",
                f"{item.sum} != price {item.price} x quantity {item.quantity} = {expected} (rounded half up)",
            )
        rate = RATE_OF_CODE[item.vat]
        vat = vat_sum(rate, item.sum)
        if item.vat_sum is not None and item.vat_sum != vat:
            raise DocumentRejected(
                ResponseCode.ARITHMETIC, f"items[{n}].vat_sum",
                f"{item.vat_sum} != VAT at {rate} of sum {item.sum} = {vat} (rounded half up)",
            )
        if item.marking_code is not None and item.subject_sign != MARKED_GOODS:
            raise DocumentRejected(ResponseCode.INVALID_VALUE, f"items[{n}].subject_sign",
                                   f"an item with a marking code is marked goods ({MARKED_GOODS}), "
                                   f"not {item.subject_sign}")
        item_vats.append((rate, vat))
    items_total = sum(item.sum for item in doc.items)
    if doc.total != items_total:
        raise DocumentRejected(ResponseCode.ARITHMETIC, "total", f"{doc.total} != sum of item sums {items_total}")
    signs = ((item.payment_method_sign or FULL_PAYMENT, item.sum) for item in doc.items)
    if (problem := settlement_problem(signs, doc.total, doc.payments.settlement())) is not None:
        where = problem.field if problem.field.startswith(("items", "payments")) else f"payments.{problem.field}"
        raise DocumentRejected(ResponseCode.ARITHMETIC, where, problem.message)
    if doc.cashier_inn is not None and (inn := inn_problem(doc.cashier_inn)) is not None:
        raise DocumentRejected(ResponseCode.INVALID_VALUE, "cashier_inn", inn)
    if doc.buyer_contact is not None and (contact := buyer_contact_problem(doc.buyer_contact)) is not None:
        raise DocumentRejected(ResponseCode.INVALID_VALUE, "buyer_contact", contact)
    if doc.vat_sums is not None:
        _check_vat_sums(doc.vat_sums, vat_sums(item_vats))
    if doc.taxation_system is not None and doc.taxation_system not in TAXATION_SYSTEMS:
        known = ", ".join(map(str, TAXATION_SYSTEMS))
        raise DocumentRejected(
            ResponseCode.UNKNOWN_CODE,
            "taxation_system",
            f"unknown code {doc.taxation_system}; known: {known}",
        )


def _check_vat_sums(declared: Mapping[str, int], expected: Mapping[str, int]) -> None:
    """The receipt's sum per rate is the sum of its items' VATs (fiscal.fn.vat), one entry per rate it has."""
    for rate in declared:
        if rate not in RATE_FRACTIONS:
            raise DocumentRejected(ResponseCode.UNKNOWN_CODE, f"vat_sums.{rate}",
                                   f"unknown VAT rate; known: {', '.join(RATE_FRACTIONS)}")
    for rate in sorted(set(declared) | set(expected)):
        if declared.get(rate) != expected.get(rate):
            shown = "absent" if rate not in declared else declared[rate]
            wanted = f"{expected[rate]}, the sum of the items' VAT" if rate in expected else "absent: no item has it"
            raise DocumentRejected(ResponseCode.ARITHMETIC, f"vat_sums.{rate}", f"{shown} != {wanted}")


def _check_shift_totals(doc: CloseShiftReport) -> None:
    """A Z report's line per operation: payments and the per-rate sums each add up to its total."""
    for operation, line in doc.shift_totals.items():
        where = f"shift_totals.{operation}"
        if operation not in OPERATION_NAMES.values():
            raise DocumentRejected(ResponseCode.UNKNOWN_CODE, where,
                                   f"unknown operation; known: {', '.join(OPERATION_NAMES.values())}")
        for rate in line.by_rate:
            if rate not in RATE_FRACTIONS:
                raise DocumentRejected(ResponseCode.UNKNOWN_CODE, f"{where}.by_rate.{rate}",
                                       f"unknown VAT rate; known: {', '.join(RATE_FRACTIONS)}")
        paid = line.cash + line.electronic + line.prepayment + line.credit + line.other
        if paid != line.total:
            raise DocumentRejected(ResponseCode.ARITHMETIC, where,
                                   f"cash {line.cash} + electronic {line.electronic} + prepayment {line.prepayment} + "
                                   f"credit {line.credit} + other {line.other} != total {line.total}")
        by_rate = sum(rate.sum for rate in line.by_rate.values())
        if line.by_rate and by_rate != line.total:
            raise DocumentRejected(ResponseCode.ARITHMETIC, f"{where}.by_rate",
                                   f"sums per rate add up to {by_rate}, not the total {line.total}")


def check_rules(doc: Document, vat_codes: Mapping[int, str] = VAT_CODES) -> None:
    """Code tables and arithmetic; raises `DocumentRejected` at the first broken rule."""
    if isinstance(doc, FiscalDocument):
        _check_receipt(doc, vat_codes)
    if isinstance(doc, RegistrationReport):
        if (problem := inn_problem(doc.user_inn)) is not None:
            raise DocumentRejected(ResponseCode.INVALID_VALUE, "user_inn", problem)
        if doc.taxation_systems & ~sum(TAXATION_SYSTEMS):
            raise DocumentRejected(ResponseCode.UNKNOWN_CODE, "taxation_systems",
                                   f"{doc.taxation_systems} names a system not in tag 1055's table "
                                   f"({', '.join(map(str, TAXATION_SYSTEMS))})")
    if isinstance(doc, CloseShiftReport):
        _check_shift_totals(doc)
    if doc.ffd_version is not None and doc.ffd_version not in FFD_VERSIONS:
        raise DocumentRejected(
            ResponseCode.UNKNOWN_CODE, "ffd_version", f"unknown FFD version {doc.ffd_version}; known: 2, 4"
        )


def _doc_type(body: dict[str, Any]) -> int:
    doc_type = body.get("doc_type", RECEIPT)
    if type(doc_type) is not int:
        raise DocumentRejected(ResponseCode.MALFORMED, "doc_type", "must be an integer (the FN document type)")
    if doc_type not in MODELS:
        known = ", ".join(f"{code} {name}" for code, name in DOC_TYPES.items())
        raise DocumentRejected(ResponseCode.UNKNOWN_CODE, "doc_type",
                               f"unknown document type {doc_type}; known: {known}")
    return doc_type


def parse_document(raw: bytes, vat_codes: Mapping[int, str] = VAT_CODES) -> tuple[Document, dict[str, Any]]:
    """The validated document and the JSON object as sent; raises `DocumentRejected`."""
    try:
        body = strict_json.loads(raw, parse_float=float)  # no BOM, no duplicate keys, bounded numbers
    except strict_json.JsonRefused as exc:
        raise DocumentRejected(ResponseCode.MALFORMED, "body", f"not valid JSON: {exc.problem}", 400) from None
    if not isinstance(body, dict):
        raise DocumentRejected(
            ResponseCode.MALFORMED, "body", f"expected a JSON object, got {type(body).__name__}", 400
        )
    try:
        doc = MODELS[_doc_type(body)].model_validate_json(raw)
    except ValidationError as exc:
        raise _from_validation_error(exc) from None
    check_rules(doc, vat_codes)
    return doc, body
