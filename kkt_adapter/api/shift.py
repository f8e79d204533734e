"""The POS's shift calls: open, X report, close (Z report), and the shift's state.

Odoo's POS session opens the shift when it opens and closes it (the Z report) when it closes. The calls
that make the register do something take an idempotency key, as receipts do: a retry gets the first answer
(`Idempotent-Replayed: true`), so a close retried after a lost answer returns the same Z report.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..components import Components
from ..drivers.base import KktError
from ..idempotency import IdempotencyConflict, Outcome, StillFiscalizing
from ..receipt import CashierIn  # one cashier model for shift calls and receipts
from . import components
from .errors import error_responses, register_refusal
from .json_body import parse_json_body
from .keys import KEY_HEADER, PLAIN_KEY_HEADER, REPLAYED, duplicate_refusal, idempotency_key, key_parameters

router = APIRouter(tags=["shift"])
Parts = Annotated[Components, Depends(components)]


class ShiftCallIn(BaseModel):
    """The body of open and close; optional (no body: the register's default cashier)."""

    model_config = ConfigDict(extra="forbid", title="ShiftCallIn")

    cashier: CashierIn | None = None


class ShiftDocumentOut(BaseModel):
    model_config = ConfigDict(extra="allow", title="ShiftDocument")

    fn_serial: str = Field(description="1041")
    fiscal_doc_number: int = Field(description="1040")
    fiscal_sign: str = Field(description="1077, decimal")
    doc_type: int = Field(description="2 open-shift report, 5 close-shift report (Z); more fields by type: the Z "
                          "report's totals per operation and VAT rate, its unsent count, ...")
    shift_number: int = Field(description="1038")
    datetime: str = Field(description="1012, ISO 8601 with the register's offset")


class ShiftAnswer(BaseModel):
    model_config = ConfigDict(title="ShiftAnswer")

    status: Literal["opened", "closed"]
    shift_number: int
    idempotency_key: str
    document: ShiftDocumentOut


class XReportAnswer(BaseModel):
    model_config = ConfigDict(title="XReportAnswer")

    status: Literal["reported"]
    idempotency_key: str
    report: dict[str, Any] = Field(description="The open shift's counters so far, as the FN counts them "
                                   "(not a fiscal document)")


class ShiftStateOut(BaseModel):
    model_config = ConfigDict(extra="allow", title="ShiftState")

    shift_open: bool
    shift_number: int = Field(description="1038: the open shift's, or the last closed one's (0: none yet)")
    shift_opened_at: str | None = Field(None, description="When the open shift opened, by the register's clock")
    shift_expires_at: str | None = Field(None, description="When it turns 24 hours old and sales are refused")
    shift_expired: bool = Field(False, description="Open for longer than the limit: close it (Z report) first")
    receipts_in_shift: int = 0


BODY = {"requestBody": {"required": False, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/ShiftCallIn"}}}}}
KEY_ERRORS = {
    400: "Missing or malformed idempotency key, or malformed JSON",
    413: "Body too large",
    422: "Invalid body: the field and the problem are named",
}
DUPLICATES = ("the idempotency key was used for a different call (`idempotency_conflict`) or that call is still "
              "running (`still_fiscalizing`)")
REGISTER_DOWN = ("The register cannot sign: `fn_offline_limit`, `fn_expired`, `fn_storage_full`, `fn_closed`, "
                 "`fn_clock_before_last_document` (with `device_code`); or it failed (`kkt_unavailable`)")


def _answers(model: type[BaseModel], text: str, errors: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": text}, **error_responses(errors)}


async def _call_body(request: Request) -> ShiftCallIn:
    raw = await request.body()  # read by the adapter's strict JSON reader, as the receipt body is
    if not raw.strip():
        return ShiftCallIn()
    return ShiftCallIn.model_validate(parse_json_body(raw, request.headers.get("content-type")))


def _key(request: Request) -> str:
    return idempotency_key(request.headers.get(KEY_HEADER), request.headers.get(PLAIN_KEY_HEADER))


async def _answer(outcome: Awaitable[Outcome]) -> JSONResponse:
    try:
        done = await outcome
    except (IdempotencyConflict, StillFiscalizing) as exc:
        raise duplicate_refusal(exc) from None
    except KktError as exc:
        raise register_refusal(exc) from None
    return JSONResponse(done.response, headers=REPLAYED if done.replayed else None)


@router.post(
    "/v1/kkt/shift/open",
    summary="Open a shift (open-shift report, document 2)",
    responses=_answers(ShiftAnswer, "The shift is open; `document` is the open-shift report", {
        **KEY_ERRORS,
        409: f"A shift is already open (`shift_already_open`, with `device_code`); or {DUPLICATES}",
        503: REGISTER_DOWN,
    }),
    openapi_extra={"parameters": key_parameters("shift opening"), **BODY},
)
async def open_shift(request: Request, parts: Parts) -> JSONResponse:
    body = await _call_body(request)
    key = _key(request)
    return await _answer(parts.shifts.open(key, body.cashier.to_cashier() if body.cashier else None))


@router.post(
    "/v1/kkt/shift/close",
    summary="Close the shift with a Z report (document 5): its totals per operation and VAT rate",
    responses=_answers(ShiftAnswer, "The shift is closed; `document` is the Z report with the shift's totals", {
        **KEY_ERRORS,
        409: f"No shift is open (`shift_closed`, with `device_code`); or {DUPLICATES}",
        503: REGISTER_DOWN,
    }),
    openapi_extra={"parameters": key_parameters("shift closing"), **BODY},
)
async def close_shift(request: Request, parts: Parts) -> JSONResponse:
    body = await _call_body(request)
    key = _key(request)
    return await _answer(parts.shifts.close(key, body.cashier.to_cashier() if body.cashier else None))


@router.post(
    "/v1/kkt/shift/x-report",
    summary="X report: the open shift's counters so far, without closing it (no fiscal document)",
    responses=_answers(XReportAnswer, "The shift's counters", {
        **KEY_ERRORS,
        409: f"No shift is open (`shift_closed`, with `device_code`); or {DUPLICATES}",
        503: REGISTER_DOWN,
    }),
    openapi_extra={"parameters": key_parameters("X report")},
)
async def x_report(request: Request, parts: Parts) -> JSONResponse:
    return await _answer(parts.shifts.x_report(_key(request)))


@router.get(
    "/v1/kkt/shift",
    summary="The shift's state: open or not, its number, when it opened, its receipts, over 24 h or not",
    responses=_answers(ShiftStateOut, "The shift's state", {503: "The register cannot be read (`kkt_unavailable`)"}),
)
async def shift_state(parts: Parts) -> JSONResponse:
    try:
        return JSONResponse(await parts.shifts.state())
    except KktError as exc:
        raise register_refusal(exc) from None
