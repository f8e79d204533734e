"""POST /v1/kkt/receipt: the POS's one call to fiscalize a receipt.

The hot path of the adapter, so it takes the raw request and does by hand what FastAPI's parameter
machinery would (read two headers, parse and validate the body): that machinery cost more per receipt than
the rest of the endpoint's Python. The OpenAPI document still describes the body and the headers.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from ..buffer import BufferFull
from ..components import Components
from ..drivers.base import KktError
from ..receipt import ReceiptIn
from ..service import IdempotencyConflict, StillFiscalizing
from .errors import ApiError, error_responses
from .json_body import parse_json_body

router = APIRouter(tags=["receipts"])

KEY_HEADER = "X-Idempotency-Key"
PLAIN_KEY_HEADER = "Idempotency-Key"
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,128}$")
_REPLAYED = {"Idempotent-Replayed": "true"}


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


def _key_header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "description": description,
            "schema": {"type": "string", "pattern": _KEY_PATTERN.pattern}}


@router.post(
    "/v1/kkt/receipt",
    summary="Fiscalize a receipt (phase 1); delivery to the OFD follows asynchronously",
    responses=error_responses({
        400: "Missing or malformed idempotency key, or malformed JSON",
        409: "Idempotency key reused for a different receipt, or still being fiscalized",
        413: "Body too large",
        422: "Invalid receipt: the field and the problem are named",
        503: "Buffer full, or the register is unavailable",
    }),
    openapi_extra={
        "parameters": [
            _key_header(KEY_HEADER, "Unique per receipt; resend it (with the same body) only to retry"),
            _key_header(PLAIN_KEY_HEADER, "The same, under its IETF draft name; send one of the two"),
        ],
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
    return JSONResponse(outcome.response, headers=_REPLAYED if outcome.replayed else None)


def document_receipt_body(app: FastAPI) -> None:
    """Put ReceiptIn (and the models it uses) in the OpenAPI components the endpoint's body refers to."""

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            body = ReceiptIn.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(body.pop("$defs", {}))
            schemas["ReceiptIn"] = body
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
