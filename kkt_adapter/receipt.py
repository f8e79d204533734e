"""What a POS sends to fiscalize a receipt, and the exact form the register and the buffer keep.

The seed's body (`pos_id`, `items[{name, quantity, price, tax_rate}]`, `total`, `payment_method`) is valid as
written. Refunds (`type: "refund"`) and split payments (`payments: [{method, amount}]`) extend it, as do the
buyer's contact (1008), the cashier (1021/1203), the payment method sign per item (1214) with the advance,
credit and other consideration counted (1215-1217, their arithmetic in `fiscal.settlement`), and marking codes
(2000 / 1162, passed through unchecked: their crypto check is the marking system's, out of scope). Amounts
are decimals with at most two places, converted to integer kopecks; nothing is ever a float.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from fiscal.fn import Cashier, inn_problem
from fiscal.numbers import bounded_decimal
from fiscal.requisites import BUYER_CONTACT_PATTERN, buyer_contact_problem
from fiscal.settlement import FULL_PAYMENT, Settlement, settlement_problem
from fiscal.subjects import GOODS, default_subject_sign, marked_quantity_problem, subject_sign_problem

from .money import format_rubles, item_sum_kopecks, to_kopecks
from .vat import parse_rate

OPERATION_CODES = {"sale": 1, "refund": 2}  # tag 1054: 1 приход, 2 возврат прихода
ELECTRONIC_METHODS = {"card", "electronic"}
QUANTITY_STEP = Decimal("0.001")
# The register's own field names for the payment forms beyond cash and card (tags 1215, 1216, 1217).
OFFSET_FIELDS = {"prepayment": "prepayment", "credit": "credit", "other": "other_consideration"}


def _decimal_schema(low: str, high: str, places: int, *, positive: bool) -> WithJsonSchema:
    """What the field accepts, for the OpenAPI document: a JSON number or a decimal string, never `""`."""
    step = float(Decimal(1).scaleb(-places))
    number = {"type": "number", "maximum": float(high), "multipleOf": step,
              **({"exclusiveMinimum": float(low)} if positive else {"minimum": float(low)})}
    digits = len(high.split(".")[0])
    if positive:  # a non-zero digit somewhere: "0" and "0.000" are refused like 0 is
        fraction = "|".join(f"0{{{k}}}[1-9][0-9]{{0,{places - 1 - k}}}" for k in range(places))
        pattern = (rf"^([0-9]{{0,{digits - 1}}}[1-9][0-9]{{0,{digits - 1}}}(\.[0-9]{{1,{places}}})?"
                   rf"|0{{1,{digits}}}\.({fraction}))$")
    else:
        pattern = rf"^[0-9]{{1,{digits}}}(\.[0-9]{{1,{places}}})?$"
    text = {"type": "string", "minLength": 1, "maxLength": digits + 1 + places, "pattern": pattern}
    return WithJsonSchema({"anyOf": [number, text]})


def _bounded_text(value: object) -> object:
    """A number sent as a string is bounded (digits, exponent) by `fiscal.numbers` before pydantic converts it,
    as the JSON reader bounds numbers; "1e999999" costs microseconds, not seconds."""
    return bounded_decimal(value) if isinstance(value, str) else value


BoundedText = BeforeValidator(_bounded_text)


Rubles = Annotated[Decimal, BoundedText, Field(ge=0, le=Decimal("99999999.99"), decimal_places=2, allow_inf_nan=False),
                   _decimal_schema("0", "99999999.99", 2, positive=False)]
PositiveRubles = Annotated[
    Decimal, BoundedText, Field(gt=0, le=Decimal("99999999.99"), decimal_places=2, allow_inf_nan=False),
    _decimal_schema("0", "99999999.99", 2, positive=True),
]
Quantity = Annotated[Decimal, BoundedText, Field(gt=0, le=Decimal("99999.999"), decimal_places=3, allow_inf_nan=False),
                     _decimal_schema("0", "99999.999", 3, positive=True)]
VatRate = Annotated[str, BeforeValidator(parse_rate)]
PaymentMethod = Literal["cash", "card", "electronic"]
PaymentMethodSign = Annotated[int, Field(ge=1, le=7, strict=True)]
SubjectSign = Annotated[int, Field(ge=1, le=33, strict=True)]
# As scanned, GS separators (\x1d) included: never stripped (Python counts \x1d as whitespace).
MarkingCode = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=256)]
ProductCode = Annotated[str, StringConstraints(pattern=r"^([0-9A-Fa-f]{2}){1,32}$")]


class FieldProblem(ValueError):
    """A whole-receipt check that knows which field is wrong, so the error can name it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Item(_Strict):
    name: str = Field(min_length=1, max_length=128, description="Tag 1030, printed on the receipt.")
    quantity: Quantity = Field(description="Tag 1023, up to 3 decimal places.")
    price: Rubles = Field(description="Unit price in rubles (tag 1079), up to 2 decimal places.")
    tax_rate: VatRate = Field(
        description="VAT rate: 22, 20, 10, 7, 5, 0, 22/122, 20/120, 10/110, 7/107, 5/105 or none.",
        json_schema_extra={"examples": [22, "22/122", "none"]},
    )
    payment_method_sign: PaymentMethodSign = Field(
        default=FULL_PAYMENT,
        description="Tag 1214: 1 full prepayment, 2 partial prepayment, 3 advance, 4 full payment (default), "
        "5 partial payment and credit, 6 credit transfer, 7 credit payment.",
    )
    marking_code: MarkingCode | None = Field(
        default=None, description="Tag 2000: the marking code as scanned (GS separators as \\u001d), passed to the "
        "register unchanged and not checked (its crypto check is out of scope); the item becomes marked goods "
        "(1212 = 33).")
    product_code: ProductCode | None = Field(
        default=None, description="Tag 1162 (FFD 1.05 product code) in hex, passed through unchanged; marks the item "
        "as marked goods (1212 = 33) too.")
    subject_sign: SubjectSign | None = Field(
        default=None, description="Tag 1212, what the item is: 1 goods (default), 4 service (an eye test, a fitting), "
        "3 work, 2 excise goods, ... (1-27, 30-33); with a marking code 33 (default) or 31 (excise), and 31 or 33 "
        "only with one.")

    @model_validator(mode="after")
    def _subject(self) -> Item:
        has_code = self.marking_code is not None or self.product_code is not None
        if self.subject_sign is None:
            self.subject_sign = default_subject_sign(has_code)
        elif (problem := subject_sign_problem(self.subject_sign, has_code)) is not None:
            raise FieldProblem("subject_sign", problem)
        if (problem := marked_quantity_problem(self.quantity, self.marking_code is not None)) is not None:
            raise FieldProblem("quantity", problem)
        return self


class CashierIn(_Strict):
    """Tags 1021 and 1203: who sold, on receipts and shift documents alike."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, title="Cashier")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = Field(
        description="Tag 1021: the cashier's name and position, as printed (up to 64 characters).")
    inn: str | None = Field(None, pattern=r"^[0-9]{12}$",
                            description="Tag 1203: the cashier's INN, 12 digits with valid control digits.")

    @field_validator("inn")
    @classmethod
    def _control_digits(cls, inn: str | None) -> str | None:
        """An OFD checks them, so the register must not sign a document with a wrong one."""
        problem = inn_problem(inn) if inn is not None else None
        if problem is not None:
            raise ValueError(problem)
        return inn

    def to_cashier(self) -> Cashier:
        return Cashier(self.name, self.inn)


class Payment(_Strict):
    method: PaymentMethod
    amount: PositiveRubles


class ReceiptIn(_Strict):
    """A receipt to fiscalize."""

    pos_id: str = Field(min_length=1, max_length=64)
    type: Literal["sale", "refund"] = Field(default="sale", description="sale (приход) or refund (возврат).")
    items: list[Item] = Field(min_length=1, max_length=100)
    total: PositiveRubles
    payment_method: PaymentMethod | None = Field(
        default=None, description="What is left of the total after prepayment, credit and other_consideration, "
        "paid one way (the whole total when there are none).")
    payments: list[Payment] | None = Field(
        default=None, min_length=1, max_length=10,
        description="Split payment; with prepayment, credit and other_consideration the amounts add up to the total.",
    )
    prepayment: Rubles = Field(
        default=Decimal(0), description="Tag 1215: an advance taken earlier, counted now; at most the sum of the items "
        "with payment_method_sign 4 or 5 (the final receipt at pickup).")
    credit: Rubles = Field(
        default=Decimal(0), description="Tag 1216: left to pay later; at most the sum of the items signed 5 or 6, at "
        "least that of the items signed 6.")
    other_consideration: Rubles = Field(
        default=Decimal(0), description="Tag 1217: paid otherwise (a gift certificate, barter).")
    buyer_contact: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, json_schema_extra={"pattern": BUYER_CONTACT_PATTERN},
        description="Tag 1008: the buyer's phone (+7 and 10 digits) or e-mail, for an electronic receipt.")
    cashier: CashierIn | None = Field(default=None, description="Tags 1021 / 1203: who sold.")

    @field_validator("buyer_contact")
    @classmethod
    def _contact(cls, contact: str | None) -> str | None:
        problem = buyer_contact_problem(contact) if contact is not None else None
        if problem is not None:
            raise ValueError(problem)
        return contact

    @model_validator(mode="after")
    def _amounts_add_up(self) -> ReceiptIn:
        if self.payment_method is not None and self.payments is not None:
            raise FieldProblem("payment_method", "give exactly one of payment_method or payments")
        sums = [item_sum_kopecks(i.price, i.quantity) for i in self.items]
        items_total = sum(sums)
        if items_total != to_kopecks(self.total):
            raise FieldProblem(
                "total",
                f"total {format_rubles(to_kopecks(self.total))} does not equal the sum of the items "
                f"{format_rubles(items_total)} (price x quantity, rounded to the kopeck)"
            )
        offsets = to_kopecks(self.prepayment) + to_kopecks(self.credit) + to_kopecks(self.other_consideration)
        if self.payments is not None:
            paid = sum(to_kopecks(p.amount) for p in self.payments)
            if paid + offsets != items_total:
                also = " with prepayment, credit and other_consideration" if offsets else ""
                raise FieldProblem(
                    "payments",
                    f"payments add up to {format_rubles(paid)}{also} {format_rubles(paid + offsets)}, not to the total"
                    f" {format_rubles(items_total)}"
                )
        elif offsets > items_total:
            raise FieldProblem(self._offset_over(items_total), f"prepayment, credit and other_consideration add up to "
                               f"{format_rubles(offsets)}, more than the total {format_rubles(items_total)}")
        elif self.payment_method is None and offsets != items_total:
            raise FieldProblem("payment_method", "give exactly one of payment_method or payments (both may be left "
                               "out only when prepayment, credit and other_consideration cover the total)")
        if offsets or any(i.payment_method_sign != FULL_PAYMENT for i in self.items):
            settlement = self._settlement(items_total)
            problem = settlement_problem(((i.payment_method_sign, s) for i, s in zip(self.items, sums, strict=True)),
                                         items_total, settlement, format_rubles)
            if problem is not None:
                raise FieldProblem(OFFSET_FIELDS.get(problem.field, problem.field), problem.message)
        return self

    def _offset_over(self, total: int) -> str:
        """The field whose amount takes prepayment, credit and other_consideration past the total."""
        counted = 0
        for name in ("prepayment", "credit", "other_consideration"):
            counted += to_kopecks(getattr(self, name))
            if counted > total:
                return name
        return "other_consideration"

    def _settlement(self, total: int) -> Settlement:
        """The payment forms in kopecks; `payment_method` pays what the other forms leave of the total."""
        prepayment, credit = to_kopecks(self.prepayment), to_kopecks(self.credit)
        other = to_kopecks(self.other_consideration)
        if self.payments is None:
            paid = [(self.payment_method, total - prepayment - credit - other)] if self.payment_method else []
        else:
            paid = [(p.method, to_kopecks(p.amount)) for p in self.payments]
        cash = sum(amount for method, amount in paid if method == "cash")
        electronic = sum(amount for method, amount in paid if method in ELECTRONIC_METHODS)
        return Settlement(cash, electronic, prepayment, credit, other)

    def to_fiscal(self) -> FiscalRequest:
        items = tuple(
            FiscalItem(
                name=i.name,
                price=to_kopecks(i.price),
                quantity=str(i.quantity.quantize(QUANTITY_STEP)),
                sum=item_sum_kopecks(i.price, i.quantity),
                vat_rate=i.tax_rate,
                payment_method_sign=i.payment_method_sign,
                subject_sign=i.subject_sign or GOODS,
                marking_code=i.marking_code,
                product_code=i.product_code,
            )
            for i in self.items
        )
        total = to_kopecks(self.total)
        paid = self._settlement(total)
        return FiscalRequest(
            pos_id=self.pos_id,
            operation=self.type,
            items=items,
            total=total,
            cash=paid.cash,
            electronic=paid.electronic,
            prepayment=paid.prepayment,
            credit=paid.credit,
            other=paid.other,
            buyer_contact=self.buyer_contact,
            cashier=self.cashier.to_cashier() if self.cashier else None,
        )


@dataclass(frozen=True)
class FiscalItem:
    name: str
    price: int
    quantity: str
    sum: int
    vat_rate: str
    payment_method_sign: int = FULL_PAYMENT  # 1214
    subject_sign: int = GOODS  # 1212
    marking_code: str | None = None  # 2000
    product_code: str | None = None  # 1162


# What an item and a receipt hold beyond the seed's fields, with the value that means "not given": kept out of the
# canonical JSON when so, so a seed receipt's stored payload and fingerprint are what they were before them.
_ITEM_DEFAULTS = {"payment_method_sign": FULL_PAYMENT, "subject_sign": GOODS, "marking_code": None,
                  "product_code": None}
_RECEIPT_DEFAULTS = {"prepayment": 0, "credit": 0, "other": 0, "buyer_contact": None}


@dataclass(frozen=True)
class FiscalRequest:
    """A validated receipt in kopecks: what the register fiscalizes and the buffer keeps."""

    pos_id: str
    operation: str
    items: tuple[FiscalItem, ...]
    total: int
    cash: int
    electronic: int
    prepayment: int = 0  # 1215
    credit: int = 0  # 1216
    other: int = 0  # 1217
    buyer_contact: str | None = None  # 1008
    cashier: Cashier | None = None  # 1021 / 1203

    @property
    def operation_code(self) -> int:
        return OPERATION_CODES[self.operation]

    def to_json(self) -> str:
        """Canonical JSON, computed once (it is both the stored payload and the fingerprint's input)."""
        cached = self.__dict__.get("_json")
        if cached is None:
            data: dict[str, object] = {
                "pos_id": self.pos_id, "operation": self.operation, "total": self.total, "cash": self.cash,
                "electronic": self.electronic,
                "items": [_item_json(i) for i in self.items],
            }
            for name, default in _RECEIPT_DEFAULTS.items():
                if (value := getattr(self, name)) != default:
                    data[name] = value
            if self.cashier is not None:
                data["cashier"] = {"name": self.cashier.name, "inn": self.cashier.inn}
            cached = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            object.__setattr__(self, "_json", cached)
        return cached

    @classmethod
    def from_json(cls, text: str) -> FiscalRequest:
        data = json.loads(text)
        data["items"] = tuple(FiscalItem(**item) for item in data["items"])
        if data.get("cashier") is not None:
            data["cashier"] = Cashier(**data["cashier"])
        return cls(**data)

    def fingerprint(self) -> str:
        """Same meaning, same fingerprint: `5000` and `5000.00` are one request for idempotency."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()


def _item_json(item: FiscalItem) -> dict[str, object]:
    data: dict[str, object] = {"name": item.name, "price": item.price, "quantity": item.quantity, "sum": item.sum,
                               "vat_rate": item.vat_rate}
    for name, default in _ITEM_DEFAULTS.items():
        if (value := getattr(item, name)) != default:
            data[name] = value
    return data
