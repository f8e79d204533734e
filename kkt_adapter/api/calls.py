"""What the register-call routes (shift, FN report, correction, cash) share: the key, the body, the answer.

Each call that makes the register do something takes an idempotency key, as receipts do: a retry gets the
first answer (`Idempotent-Replayed: true`), so a close retried after a lost answer returns the same Z report.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..drivers.base import KktError
from ..idempotency import IdempotencyConflict, Outcome, StillFiscalizing
from .errors import error_responses, register_refusal
from .json_body import parse_json_body
from .keys import KEY_HEADER, PLAIN_KEY_HEADER, REPLAYED, duplicate_refusal, idempotency_key

Body = TypeVar("Body", bound=BaseModel)

KEY_ERRORS = {
    400: "Missing or malformed idempotency key, or malformed JSON",
    413: "Body too large",
    422: "Invalid body: the field and the problem are named",
}
DUPLICATES = ("the idempotency key was used for a different call (`idempotency_conflict`) or that call is still "
              "running (`still_fiscalizing`)")
REGISTER_DOWN = ("The register cannot sign: `fn_offline_limit`, `fn_expired`, `fn_storage_full`, `fn_closed`, "
                 "`fn_clock_before_last_document` (with `device_code`); or it failed (`kkt_unavailable`)")
SHIFT_REFUSALS = ("the register refuses until the POS acts on the shift: `shift_expired` (open over 24 h: close "
                  "it), `shift_closed` (none open and KKT_AUTO_OPEN_SHIFT off), with `device_code`")


class DocumentOut(BaseModel):
    model_config = ConfigDict(extra="allow", title="RegisterDocument")

    fn_serial: str = Field(description="1041")
    fiscal_doc_number: int = Field(description="1040")
    fiscal_sign: str = Field(description="1077, decimal")
    doc_type: int = Field(description="2 open-shift report, 5 close-shift report (Z), 21 state report, 31 correction "
                          "receipt; more fields by type: the Z report's totals per operation and VAT rate, the "
                          "correction's items, payments and QR, the unsent count, ...")
    shift_number: int = Field(description="1038")
    datetime: str = Field(description="1012, ISO 8601 with the register's offset")


def answers(model: type[BaseModel], text: str, errors: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": text}, **error_responses(errors)}


def body_schema(name: str, *, required: bool) -> dict[str, Any]:
    return {"requestBody": {"required": required, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{name}"}}}}}


async def read_body(request: Request, model: type[Body], *, optional: bool = False) -> Body:
    """The body, read by the adapter's strict JSON reader as the receipt body is; an optional one may be empty."""
    raw = await request.body()
    if optional and not raw.strip():
        return model()
    return model.model_validate(parse_json_body(raw, request.headers.get("content-type")))


def call_key(request: Request) -> str:
    return idempotency_key(request.headers.get(KEY_HEADER), request.headers.get(PLAIN_KEY_HEADER))


async def answer(outcome: Awaitable[Outcome]) -> JSONResponse:
    try:
        done = await outcome
    except (IdempotencyConflict, StillFiscalizing) as exc:
        raise duplicate_refusal(exc) from None
    except KktError as exc:
        raise register_refusal(exc) from None
    return JSONResponse(done.response, headers=REPLAYED if done.replayed else None)
