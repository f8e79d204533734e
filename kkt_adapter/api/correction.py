"""POST /v1/kkt/correction: a correction receipt (document 31), once per idempotency key."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from ..components import Components
from ..correction import CorrectionIn
from . import components
from .calls import (
    DUPLICATES,
    KEY_ERRORS,
    REGISTER_DOWN,
    SHIFT_REFUSALS,
    DocumentOut,
    answer,
    answers,
    body_schema,
    call_key,
    read_body,
)
from .keys import key_parameters

router = APIRouter(tags=["corrections"])
Parts = Annotated[Components, Depends(components)]


class CorrectionAnswer(BaseModel):
    model_config = ConfigDict(title="CorrectionAnswer")

    status: Literal["fiscalized"]
    shift_number: int
    idempotency_key: str
    document: DocumentOut


@router.post(
    "/v1/kkt/correction",
    summary="Fiscalize a correction receipt (document 31): a settlement made without a receipt, or with a wrong one",
    responses=answers(CorrectionAnswer, "Signed; `document` holds its fiscal data and QR, and it is queued for the "
                      "OFD with the receipts, in FD order", {
                          **KEY_ERRORS,
                          409: f"{SHIFT_REFUSALS.capitalize()}; or {DUPLICATES}",
                          422: "Invalid body (the field and the problem are named), or the register refuses the "
                               "correction's basis (`correction_invalid`: its date is after today by the register's "
                               "clock)",
                          503: REGISTER_DOWN,
                      }),
    openapi_extra={"parameters": key_parameters("correction"), **body_schema("CorrectionIn", required=True)},
)
async def post_correction(request: Request, parts: Parts) -> JSONResponse:
    body = await read_body(request, CorrectionIn)
    return await answer(parts.calls.correct(call_key(request), body.to_correction()))
