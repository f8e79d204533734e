"""POST /v1/kkt/receipt: the POS's one call to fiscalize a receipt.

The hot path of the adapter, so it takes the raw request and does by hand what FastAPI's parameter
machinery would (read two headers, parse and validate the body): that machinery cost more per receipt than
the rest of the endpoint's Python. The OpenAPI document still describes the body and the headers.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..buffer import BufferFull
from ..components import Components
from ..drivers.base import KktError
from ..idempotency import IdempotencyConflict, StillFiscalizing
from ..receipt import ReceiptIn
from .errors import ApiError, error_responses, register_refusal
from .json_body import parse_json_body
from .keys import KEY_HEADER, PLAIN_KEY_HEADER, REPLAYED, duplicate_refusal, idempotency_key, key_parameters

router = APIRouter(tags=["receipts"])


@router.post(
    "/v1/kkt/receipt",
    summary="Fiscalize a receipt (phase 1); delivery to the OFD follows asynchronously",
    responses=error_responses({
        400: "Missing or malformed idempotency key, or malformed JSON",
        409: "Idempotency key reused for a different receipt, or still being fiscalized; or the register "
             "refuses the sale until the POS acts on the shift: `shift_expired` (open over 24 h: close it), "
             "`shift_closed` (none open and KKT_AUTO_OPEN_SHIFT off), with `device_code`",
        413: "Body too large",
        422: "Invalid receipt: the field and the problem are named",
        503: "Buffer full (`buffer_full`); or the register cannot sign: `fn_offline_limit`, `fn_expired`, "
             "`fn_storage_full`, `fn_closed`, `fn_clock_before_last_document` (with `device_code`), "
             "`kkt_unavailable` (it failed)",
    }),
    openapi_extra={
        "parameters": key_parameters("receipt"),
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ReceiptIn"}}}},
    },
)
async def post_receipt(request: Request) -> JSONResponse:
    parts: Components = request.app.state.components
    receipt = ReceiptIn.model_validate(parse_json_body(await request.body(), request.headers.get("content-type")))
    key = idempotency_key(request.headers.get(KEY_HEADER), request.headers.get(PLAIN_KEY_HEADER))
    try:
        with parts.metrics.receipt_seconds.time():
            outcome = await parts.service.fiscalize(key, receipt.to_fiscal())
    except (IdempotencyConflict, StillFiscalizing) as exc:
        raise duplicate_refusal(exc) from None
    except BufferFull as exc:
        raise ApiError(
            503, "buffer_full",
            f"{exc}; the receipt was not accepted and nothing was lost; retry after the buffer drains to the OFD",
            headers={"Retry-After": str(max(1, round(parts.settings.sync_interval)))},
        ) from None
    except KktError as exc:
        raise register_refusal(exc) from None
    return JSONResponse(outcome.response, headers=REPLAYED if outcome.replayed else None)
