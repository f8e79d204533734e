"""What a POS sends for a correction receipt (document 31): a receipt's body, and why it is a correction.

A correction records a settlement made without a receipt, or with a wrong one, after the fact: on the
user's own initiative (`self`) or by a tax authority's order (`by_order`, with the order's number). The
settlement part is a receipt's body with every rule of one (`ReceiptIn`); the register checks the date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .receipt import FieldProblem, FiscalRequest, ReceiptIn

CORRECTION_TYPES = {"self": 0, "by_order": 1}  # tag 1173


class CorrectionBasisIn(BaseModel):
    """Tag 1174."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, title="CorrectionBasis")

    date: dt.date = Field(description="Tag 1178: the day of the settlement being corrected (not after today).")
    order_number: str | None = Field(None, min_length=1, max_length=32,
                                     description="Tag 1179: the tax authority's order, needed for by_order.")


class CorrectionIn(ReceiptIn):
    """A correction receipt: the settlement (as a receipt's body) and its basis."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, title="CorrectionIn")

    correction_type: Literal["self", "by_order"] = Field(
        description="Tag 1173: self (the user's own initiative) or by_order (a tax authority's order).")
    basis: CorrectionBasisIn = Field(description="Tag 1174: when the corrected settlement was, and the order.")

    @model_validator(mode="after")
    def _order_given(self) -> CorrectionIn:
        if self.correction_type == "by_order" and self.basis.order_number is None:
            raise FieldProblem("basis.order_number", "a correction by order needs the order's number (tag 1179)")
        return self

    def to_correction(self) -> CorrectionRequest:
        return CorrectionRequest(self.to_fiscal(), CORRECTION_TYPES[self.correction_type], self.basis.date,
                                 self.basis.order_number)


@dataclass(frozen=True)
class CorrectionRequest:
    """A validated correction in kopecks: what the register signs."""

    settlement: FiscalRequest
    correction_type: int  # 1173
    basis_date: dt.date  # 1178
    order_number: str | None = None  # 1179

    def to_json(self) -> dict[str, object]:
        """What makes two corrections under one idempotency key the same request."""
        return {"settlement": self.settlement.to_json(), "correction_type": self.correction_type,
                "basis_date": self.basis_date.isoformat(), "order_number": self.order_number}
