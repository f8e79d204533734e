"""What a POS sends to fiscalize a receipt, and the exact form the register and the buffer keep.

The seed's body (`pos_id`, `items[{name, quantity, price, tax_rate}]`, `total`, `payment_method`) is valid as
written. Refunds (`type: "refund"`) and split payments (`payments: [{method, amount}]`) extend it. Amounts
are decimals with at most two places, converted to integer kopecks; nothing is ever a float.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from fiscal.numbers import bounded_decimal

from .money import format_rubles, item_sum_kopecks, to_kopecks
from .vat import parse_rate

OPERATION_CODES = {"sale": 1, "refund": 2}  # tag 1054: 1 приход, 2 возврат прихода
ELECTRONIC_METHODS = {"card", "electronic"}
QUANTITY_STEP = Decimal("0.001")


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


class Payment(_Strict):
    method: PaymentMethod
    amount: PositiveRubles


class ReceiptIn(_Strict):
    """A receipt to fiscalize."""

    pos_id: str = Field(min_length=1, max_length=64)
    type: Literal["sale", "refund"] = Field(default="sale", description="sale (приход) or refund (возврат).")
    items: list[Item] = Field(min_length=1, max_length=100)
    total: PositiveRubles
    payment_method: PaymentMethod | None = Field(default=None, description="The whole total paid one way.")
    payments: list[Payment] | None = Field(
        default=None, min_length=1, max_length=10, description="Split payment; amounts add up to the total."
    )

    @model_validator(mode="after")
    def _amounts_add_up(self) -> ReceiptIn:
        if (self.payment_method is None) == (self.payments is None):
            raise FieldProblem("payment_method", "give exactly one of payment_method or payments")
        items_total = sum(item_sum_kopecks(i.price, i.quantity) for i in self.items)
        if items_total != to_kopecks(self.total):
            raise FieldProblem(
                "total",
                f"total {format_rubles(to_kopecks(self.total))} does not equal the sum of the items "
                f"{format_rubles(items_total)} (price x quantity, rounded to the kopeck)"
            )
        if self.payments is not None:
            paid = sum(to_kopecks(p.amount) for p in self.payments)
            if paid != items_total:
                raise FieldProblem(
                    "payments",
                    f"payments add up to {format_rubles(paid)}, not to the total {format_rubles(items_total)}"
                )
        return self

    def to_fiscal(self) -> FiscalRequest:
        items = tuple(
            FiscalItem(
                name=i.name,
                price=to_kopecks(i.price),
                quantity=str(i.quantity.quantize(QUANTITY_STEP)),
                sum=item_sum_kopecks(i.price, i.quantity),
                vat_rate=i.tax_rate,
            )
            for i in self.items
        )
        payments = self.payments or [Payment(method=self.payment_method, amount=self.total)]
        cash = sum(to_kopecks(p.amount) for p in payments if p.method == "cash")
        electronic = sum(to_kopecks(p.amount) for p in payments if p.method in ELECTRONIC_METHODS)
        return FiscalRequest(
            pos_id=self.pos_id,
            operation=self.type,
            items=items,
            total=to_kopecks(self.total),
            cash=cash,
            electronic=electronic,
        )


@dataclass(frozen=True)
class FiscalItem:
    name: str
    price: int
    quantity: str
    sum: int
    vat_rate: str


@dataclass(frozen=True)
class FiscalRequest:
    """A validated receipt in kopecks: what the register fiscalizes and the buffer keeps."""

    pos_id: str
    operation: str
    items: tuple[FiscalItem, ...]
    total: int
    cash: int
    electronic: int

    @property
    def operation_code(self) -> int:
        return OPERATION_CODES[self.operation]

    def to_json(self) -> str:
        """Canonical JSON, computed once (it is both the stored payload and the fingerprint's input)."""
        cached = self.__dict__.get("_json")
        if cached is None:
            data = {
                "pos_id": self.pos_id, "operation": self.operation, "total": self.total, "cash": self.cash,
                "electronic": self.electronic,
                "items": [{"name": i.name, "price": i.price, "quantity": i.quantity, "sum": i.sum,
                           "vat_rate": i.vat_rate} for i in self.items],
            }
            cached = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            object.__setattr__(self, "_json", cached)
        return cached

    @classmethod
    def from_json(cls, text: str) -> FiscalRequest:
        data = json.loads(text)
        data["items"] = tuple(FiscalItem(**item) for item in data["items"])
        return cls(**data)

    def fingerprint(self) -> str:
        """Same meaning, same fingerprint: `5000` and `5000.00` are one request for idempotency."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()
