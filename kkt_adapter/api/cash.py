"""POST /v1/kkt/cash/in and /v1/kkt/cash/out: cash put into or taken out of the drawer.

Non-fiscal operations the register records (no FD number, nothing for the OFD); the X and Z reports show
them with the drawer's cash, which the register keeps across shifts. Once per idempotency key.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..components import Components
from ..money import to_kopecks
from ..receipt import CashierIn, PositiveRubles
from . import components
from .calls import (
    DUPLICATES,
    KEY_ERRORS,
    REGISTER_DOWN,
    SHIFT_REFUSALS,
    answer,
    answers,
    body_schema,
    call_key,
    read_body,
)
from .keys import key_parameters

router = APIRouter(tags=["cash"])
Parts = Annotated[Components, Depends(components)]


class CashIn(BaseModel):
    model_config = ConfigDict(extra="forbid", title="CashMovementIn")

    amount: PositiveRubles = Field(description="Rubles, up to 2 decimal places.")
    cashier: CashierIn | None = None


class CashAnswer(BaseModel):
    model_config = ConfigDict(title="CashAnswer")

    status: Literal["recorded"]
    idempotency_key: str
    cash: dict[str, Any] = Field(description="kind (in/out), amount, shift_number, datetime, cashier and the "
                                 "drawer's cash after it (cash_in_drawer); money in kopecks, as in every register "
                                 "answer")


def _route(kind: str, what: str) -> dict[str, Any]:
    refusals = SHIFT_REFUSALS.capitalize()
    if kind == "out":
        refusals += "; or the drawer holds less than the amount (`insufficient_cash`, device code 0x46)"
    return {
        "summary": f"Cash {what} the drawer (a non-fiscal document)",
        "responses": answers(CashAnswer, "Recorded", {**KEY_ERRORS, 409: f"{refusals}; or {DUPLICATES}",
                                                      503: REGISTER_DOWN}),
        "openapi_extra": {"parameters": key_parameters(f"cash {kind}"),
                          **body_schema("CashMovementIn", required=True)},
    }


async def _cash(request: Request, parts: Components, kind: str) -> JSONResponse:
    body = await read_body(request, CashIn)
    cashier = body.cashier.to_cashier() if body.cashier else None
    return await answer(parts.calls.cash(call_key(request), kind, to_kopecks(body.amount), cashier))


@router.post("/v1/kkt/cash/in", **_route("in", "into"))
async def cash_in(request: Request, parts: Parts) -> JSONResponse:
    return await _cash(request, parts, "in")


@router.post("/v1/kkt/cash/out", **_route("out", "out of"))
async def cash_out(request: Request, parts: Parts) -> JSONResponse:
    return await _cash(request, parts, "out")
