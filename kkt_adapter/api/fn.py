"""POST /v1/kkt/fn/state-report: the FN's state report (document 21), once per idempotency key.

A register prints one on demand (the tax office asks for it when an FN is replaced) and the OFD receives it:
the FN's unsent count and its oldest unsent document.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from ..components import Components
from . import components
from .calls import DUPLICATES, KEY_ERRORS, REGISTER_DOWN, DocumentOut, answer, answers, call_key
from .keys import key_parameters

router = APIRouter(tags=["fiscal drive"])
Parts = Annotated[Components, Depends(components)]


class StateReportAnswer(BaseModel):
    model_config = ConfigDict(title="StateReportAnswer")

    status: Literal["reported"]
    shift_number: int
    idempotency_key: str
    document: DocumentOut


@router.post(
    "/v1/kkt/fn/state-report",
    summary="The FN's state report (document 21): its unsent documents, sent to the OFD like every document",
    responses=answers(StateReportAnswer, "Signed and queued for the OFD", {
        400: KEY_ERRORS[400],
        409: DUPLICATES.capitalize(),
        503: REGISTER_DOWN,
    }),
    openapi_extra={"parameters": key_parameters("state report")},
)
async def state_report(request: Request, parts: Parts) -> JSONResponse:
    return await answer(parts.calls.state_report(call_key(request)))
