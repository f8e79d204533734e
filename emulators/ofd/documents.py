"""The fiscal document the adapter posts to the OFD, and the checks a real OFD would make on it.

Structure (types, ranges, formats) is a strict pydantic model read straight from the JSON bytes, so money
must be JSON integers (kopecks) and a float or a boolean is refused. The arithmetic and the code tables
are checked afterwards, in `check_rules`, in the order an operator reading the receipt would.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import IntEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from fiscal import strict_json
from fiscal.taxation import TAXATION_SYSTEMS  # tag 1055, shared with the adapter
from fiscal.vat import VAT_CODE_NAMES

# Tag 1054.
OPERATIONS: dict[int, str] = {1: "sale", 2: "sale refund", 3: "expense", 4: "expense refund"}
VAT_CODES: dict[int, str] = VAT_CODE_NAMES  # tag 1199, the table the adapter writes from (fiscal.vat)
# Tag 1209.
FFD_VERSIONS: dict[int, str] = {2: "1.05", 4: "1.2"}


class ResponseCode(IntEnum):
    """The emulator's OFD response codes (tag 1022; 0 = accepted). Non-zero values are our own, not FNS's."""

    ACCEPTED = 0
    MALFORMED = 1  # not JSON, wrong type, missing field
    INVALID_VALUE = 2  # a value out of range or in the wrong format
    UNKNOWN_CODE = 3  # operation, VAT rate, taxation system or FFD version not in the tables
    ARITHMETIC = 4  # sums that do not add up
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
# Tag 1023 is an FVLN of at most 8 bytes; 12 whole digits is far more than any sale needs, and keeps
# price x quantity within exact decimal arithmetic.
Quantity = Annotated[str, StringConstraints(pattern=r"^\d{1,12}(\.\d{1,3})?$")]
# Tags 1079, 1043, 1020, 1031, 1081 are VLNs of at most 6 bytes.
MAX_KOPECKS = 2**48 - 1
Kopecks = Annotated[int, Field(ge=0, le=MAX_KOPECKS)]


class Item(BaseModel):
    """Tag 1059."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    name: str = Field(min_length=1, max_length=128)  # 1030
    price: Kopecks  # 1079
    quantity: Quantity  # 1023, a decimal string with up to 3 decimals
    sum: Kopecks  # 1043
    vat: int  # 1199
    subject_sign: int | None = Field(default=None, ge=1)  # 1212
    payment_method_sign: int | None = Field(default=None, ge=1, le=7)  # 1214
    unit: int | None = Field(default=None, ge=0, le=255)  # 2108

    @property
    def quantity_value(self) -> Decimal:
        return Decimal(self.quantity)


class Payments(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    cash: Kopecks  # 1031
    electronic: Kopecks  # 1081


class FiscalDocument(BaseModel):
    """A receipt as the adapter sends it; identified at the OFD by (fn_serial, fiscal_doc_number)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, populate_by_name=True)

    fn_serial: Digits16  # 1041
    fiscal_doc_number: int = Field(ge=1, le=2**32 - 1)  # 1040
    fiscal_sign: Annotated[str, StringConstraints(pattern=r"^\d{1,10}$")]  # 1077
    kkt_reg_number: str = Field(min_length=1, max_length=20)  # 1037
    issued_at: AwareDatetime = Field(alias="datetime")  # 1012
    operation: int  # 1054
    total: Kopecks  # 1020
    items: list[Item] = Field(min_length=1)  # 1059
    payments: Payments
    taxation_system: int | None = None  # 1055
    ffd_version: int | None = None  # 1209
    shift_number: int | None = Field(default=None, ge=1)  # 1038
    receipt_number: int | None = Field(default=None, ge=1)  # 1042

    @property
    def key(self) -> tuple[str, int]:
        return self.fn_serial, self.fiscal_doc_number

    def differences(self, other: FiscalDocument) -> list[str]:
        """Top-level fields whose fiscal content differs (quantities compared as numbers)."""

        def content(doc: FiscalDocument) -> dict[str, Any]:
            dumped = doc.model_dump(by_alias=True)
            dumped["items"] = [{**i, "quantity": Decimal(i["quantity"])} for i in dumped["items"]]
            return dumped

        mine, theirs = content(self), content(other)
        return [name for name in mine if mine[name] != theirs[name]]


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


def check_rules(doc: FiscalDocument, vat_codes: Mapping[int, str] = VAT_CODES) -> None:
    """Code tables and arithmetic; raises `DocumentRejected` at the first broken rule."""
    if doc.operation not in OPERATIONS:
        raise DocumentRejected(
            ResponseCode.UNKNOWN_CODE,
            "operation",
            f"unknown calculation sign {doc.operation}; known: 1, 2, 3, 4",
        )
    for n, item in enumerate(doc.items):
        if item.vat not in vat_codes:
            known = ", ".join(map(str, sorted(vat_codes)))
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
    items_total = sum(item.sum for item in doc.items)
    if doc.total != items_total:
        raise DocumentRejected(ResponseCode.ARITHMETIC, "total", f"{doc.total} != sum of item sums {items_total}")
    paid = doc.payments.cash + doc.payments.electronic
    if paid != doc.total:
        raise DocumentRejected(
            ResponseCode.ARITHMETIC,
            "payments",
            f"cash {doc.payments.cash} + electronic {doc.payments.electronic} = {paid} != total {doc.total}",
        )
    if doc.taxation_system is not None and doc.taxation_system not in TAXATION_SYSTEMS:
        known = ", ".join(map(str, TAXATION_SYSTEMS))
        raise DocumentRejected(
            ResponseCode.UNKNOWN_CODE,
            "taxation_system",
            f"unknown code {doc.taxation_system}; known: {known}",
        )
    if doc.ffd_version is not None and doc.ffd_version not in FFD_VERSIONS:
        raise DocumentRejected(
            ResponseCode.UNKNOWN_CODE, "ffd_version", f"unknown FFD version {doc.ffd_version}; known: 2, 4"
        )


def parse_document(raw: bytes, vat_codes: Mapping[int, str] = VAT_CODES) -> tuple[FiscalDocument, dict[str, Any]]:
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
        doc = FiscalDocument.model_validate_json(raw)
    except ValidationError as exc:
        raise _from_validation_error(exc) from None
    check_rules(doc, vat_codes)
    return doc, body
