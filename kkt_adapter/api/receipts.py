"""POST /v1/kkt/receipt: the POS's one call to fiscalize a receipt."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse

from ..buffer import BufferFull
from ..components import Components
from ..drivers.base import KktError
from ..receipt import ReceiptIn
from ..service import IdempotencyConflict, StillFiscalizing
from . import components
from .errors import ApiError, DecimalJSONRoute

router = APIRouter(route_class=DecimalJSONRoute, tags=["receipts"])

KEY_HEADER = "X-Idempotency-Key"
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,128}$")


def idempotency_key(x_key: str | None, plain_key: str | None) -> str:
    if x_key is not None and plain_key is not None and x_key != plain_key:
        raise ApiError(400, "idempotency_key_mismatch",
                       "X-Idempotency-Key and Idempotency-Key differ; send one", field=KEY_HEADER)
    key = x_key if x_key is not None else plain_key
    if key is None:
        raise ApiError(400, "missing_idempotency_key",
                       "header required: a unique key per receipt, reused only to retry that receipt",
                       field=KEY_HEADER)
    if not _KEY_PATTERN.match(key):
        raise ApiError(400, "invalid_idempotency_key",
                       "must be 1 to 128 visible ASCII characters without spaces", field=KEY_HEADER)
    return key


@router.post(
    "/v1/kkt/receipt",
    summary="Fiscalize a receipt (phase 1); delivery to the OFD follows asynchronously",
    responses={
        400: {"description": "Missing or malformed idempotency key, or malformed JSON"},
        409: {"description": "Idempotency key reused for a different receipt, or still being fiscalized"},
        413: {"description": "Body too large"},
        422: {"description": "Invalid receipt: the field and the problem are named"},
        503: {"description": "Buffer full, or the register is unavailable"},
    },
)
async def post_receipt(
    receipt: ReceiptIn,
    parts: Annotated[Components, Depends(components)],
    x_idempotency_key: Annotated[str | None, Header(description="Unique per receipt")] = None,
    idempotency_key_header: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    key = idempotency_key(x_idempotency_key, idempotency_key_header)
    try:
        with parts.metrics.receipt_seconds.time():
            outcome = await parts.service.fiscalize(key, receipt.to_fiscal())
    except IdempotencyConflict as exc:
        raise ApiError(409, "idempotency_conflict", str(exc), field=KEY_HEADER) from None
    except StillFiscalizing as exc:
        raise ApiError(409, "still_fiscalizing", str(exc), field=KEY_HEADER, headers={"Retry-After": "1"}) from None
    except BufferFull as exc:
        raise ApiError(
            503, "buffer_full",
            f"{exc}; the receipt was not accepted and nothing was lost; retry after the buffer drains to the OFD",
            headers={"Retry-After": str(max(1, round(parts.settings.sync_interval)))},
        ) from None
    except KktError as exc:
        raise ApiError(503, f"kkt_{exc.code}", f"the register refused: {exc.message}") from None
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.response, headers=headers)
