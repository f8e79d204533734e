"""The POS's shift calls: open, X report, close (Z report), and the shift's state.

Odoo's POS session opens the shift when it opens and closes it (the Z report) when it closes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..components import Components
from ..drivers.base import KktError
from ..receipt import CashierIn  # one cashier model for shift calls and receipts
from . import components
from .calls import DUPLICATES, KEY_ERRORS, REGISTER_DOWN, DocumentOut, answer, answers, body_schema, call_key, read_body
from .errors import register_refusal
from .keys import key_parameters

router = APIRouter(tags=["shift"])
Parts = Annotated[Components, Depends(components)]


class ShiftCallIn(BaseModel):
    """The body of open and close; optional (no body: the register's default cashier)."""

    model_config = ConfigDict(extra="forbid", title="ShiftCallIn")

    cashier: CashierIn | None = None


class ShiftAnswer(BaseModel):
    model_config = ConfigDict(title="ShiftAnswer")

    status: Literal["opened", "closed"]
    shift_number: int
    idempotency_key: str
    document: DocumentOut


class XReportAnswer(BaseModel):
    model_config = ConfigDict(title="XReportAnswer")

    status: Literal["reported"]
    idempotency_key: str
    report: dict[str, Any] = Field(description="The open shift's counters so far, as the FN counts them, with the "
                                   "drawer's cash (not a fiscal document)")


class ShiftStateOut(BaseModel):
    model_config = ConfigDict(extra="allow", title="ShiftState")

    shift_open: bool
    shift_number: int = Field(description="1038: the open shift's, or the last closed one's (0: none yet)")
    shift_opened_at: str | None = Field(None, description="When the open shift opened, by the register's clock")
    shift_expires_at: str | None = Field(None, description="When it turns 24 hours old and sales are refused")
    shift_expired: bool = Field(False, description="Open for longer than the limit: close it (Z report) first")
    receipts_in_shift: int = 0


BODY = body_schema("ShiftCallIn", required=False)


@router.post(
    "/v1/kkt/shift/open",
    summary="Open a shift (open-shift report, document 2)",
    responses=answers(ShiftAnswer, "The shift is open; `document` is the open-shift report", {
        **KEY_ERRORS,
        409: f"A shift is already open (`shift_already_open`, with `device_code`); or {DUPLICATES}",
        503: REGISTER_DOWN,
    }),
    openapi_extra={"parameters": key_parameters("shift opening"), **BODY},
)
async def open_shift(request: Request, parts: Parts) -> JSONResponse:
    body = await read_body(request, ShiftCallIn, optional=True)
    return await answer(parts.calls.open_shift(call_key(request), body.cashier.to_cashier() if body.cashier else None))


@router.post(
    "/v1/kkt/shift/close",
    summary="Close the shift with a Z report (document 5): its totals per operation and VAT rate",
    responses=answers(ShiftAnswer, "The shift is closed; `document` is the Z report with the shift's totals", {
        **KEY_ERRORS,
        409: f"No shift is open (`shift_closed`, with `device_code`); or {DUPLICATES}",
        503: REGISTER_DOWN,
    }),
    openapi_extra={"parameters": key_parameters("shift closing"), **BODY},
)
async def close_shift(request: Request, parts: Parts) -> JSONResponse:
    body = await read_body(request, ShiftCallIn, optional=True)
    return await answer(parts.calls.close_shift(call_key(request), body.cashier.to_cashier() if body.cashier else None))


@router.post(
    "/v1/kkt/shift/x-report",
    summary="X report: the open shift's counters so far, without closing it (no fiscal document)",
    responses=answers(XReportAnswer, "The shift's counters", {
        **KEY_ERRORS,
        409: f"No shift is open (`shift_closed`, with `device_code`); or {DUPLICATES}",
        503: REGISTER_DOWN,
    }),
    openapi_extra={"parameters": key_parameters("X report")},
)
async def x_report(request: Request, parts: Parts) -> JSONResponse:
    return await answer(parts.calls.x_report(call_key(request)))


@router.get(
    "/v1/kkt/shift",
    summary="The shift's state: open or not, its number, when it opened, its receipts, over 24 h or not",
    responses=answers(ShiftStateOut, "The shift's state", {503: "The register cannot be read (`kkt_unavailable`)"}),
)
async def shift_state(parts: Parts) -> JSONResponse:
    try:
        return JSONResponse(await parts.calls.shift_state())
    except KktError as exc:
        raise register_refusal(exc) from None
