"""Every error the adapter returns is JSON that names the field and the problem; never a stack trace.

Shape: `{"error": code, "message": summary, "errors": [{"field": ..., "problem": ...}]}`; a register's refusal
adds `device_code`, the device's own code for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fiscal.http_limits import limited_protocol

from ..drivers.base import KktError
from ..receipt import FieldProblem

log = logging.getLogger(__name__)

NOT_JSON = "expected a JSON object; send Content-Type: application/json"


class ApiError(Exception):
    """An error answer; `problem` is what the error list says of `field` (the message, unless given)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None, problem: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers
        self.problem = problem or message
        self.extra = extra or {}


class FieldError(BaseModel):
    field: str
    problem: str


class ErrorBody(BaseModel):
    """Every 4xx and 5xx body, as the OpenAPI document shows it."""

    error: str
    message: str
    errors: list[FieldError]
    device_code: int | None = Field(
        None, description="On a register's refusal: the device's own code for it (FN 0x16 = 22, ...), or null "
        "when the register gave none. Absent from other errors.")


# What a register's refusal means for the POS: 409, the POS must act on the shift first; 503, the register
# cannot sign until someone fixes the FN (its OFD backlog, its clock, the FN itself).
REFUSAL_STATUS = {
    "shift_closed": 409,
    "shift_already_open": 409,
    "shift_expired": 409,
    "insufficient_cash": 409,
    "correction_invalid": 422,
    "cash_amount_invalid": 422,
    "fn_offline_limit": 503,
    "fn_expired": 503,
    "fn_storage_full": 503,
    "fn_closed": 503,
    "fn_clock_before_last_document": 503,
    "paper_out": 503,
}


def register_refusal(exc: KktError) -> ApiError:
    """A KktError as the POS gets it: a known refusal under its own code, anything else as `kkt_<code>` (503)."""
    status = REFUSAL_STATUS.get(exc.code)
    code = exc.code if status is not None else f"kkt_{exc.code}"
    device = f" (device code 0x{exc.device_code:02X})" if exc.device_code is not None else ""
    return ApiError(status or 503, code, f"the register refused: {exc.message}{device}",
                    extra={"device_code": exc.device_code})


def error_responses(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each listed status answers an `ErrorBody` (listing 422 replaces FastAPI's own)."""
    return {status: {"model": ErrorBody, "description": text} for status, text in descriptions.items()}


def error_body(code: str, message: str, errors: Sequence[dict[str, str]] = ()) -> dict[str, Any]:
    return {"error": code, "message": message, "errors": list(errors)}


def field_name(loc: Sequence[int | str]) -> str:
    """('body', 'items', 0, 'price') -> 'items[0].price'."""
    parts = list(loc[1:] if loc and loc[0] == "body" else loc)
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


def describe(errors: Sequence[Any]) -> list[dict[str, str]]:
    described = []
    for error in errors:
        ctx = error.get("ctx") or {}
        cause = ctx.get("error")
        loc = tuple(error.get("loc", ()))
        if isinstance(cause, FieldProblem):  # named from the model it is in: `items[2].subject_sign`
            described.append({"field": field_name((*loc, cause.field)), "problem": str(cause)})
            continue
        if error.get("type") == "json_invalid":
            described.append({"field": "body", "problem": f"malformed JSON: {ctx.get('error', 'cannot parse')}"})
            continue
        if loc and loc[0] in ("header", "query", "path"):
            loc = loc[1:]
        problem = error.get("msg", "invalid").removeprefix("Value error, ")
        if error.get("type") == "model_attributes_type" or (
            loc == ("body",) and isinstance(error.get("input"), bytes | str)
        ):
            problem = NOT_JSON
        described.append({"field": field_name(loc), "problem": problem})
    return described


def _summary(errors: list[dict[str, str]]) -> str:
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first['field']}: {first['problem']}{more}"


class BodySizeLimit:
    """Refuses bodies over `max_bytes` with 413 before the app sees them (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        response = JSONResponse(
            error_body("body_too_large", f"request body exceeds {self.max_bytes} bytes",
                       [{"field": "body", "problem": f"larger than {self.max_bytes} bytes"}]),
            status_code=413,
        )
        await response({"type": "http"}, _no_receive, send)


def header_limited_protocol(max_header_bytes: int, max_header_count: int) -> type[asyncio.Protocol]:
    """Uvicorn's `http=` protocol refusing long or many headers with 431 in our error shape (see fiscal)."""

    def refusal(problem: str) -> dict[str, Any]:
        return error_body("headers_too_large", f"headers: {problem}", [{"field": "headers", "problem": problem}])

    return limited_protocol(max_header_bytes, max_header_count, refusal)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = describe(exc.errors())
        malformed = any(e.get("type") == "json_invalid" for e in exc.errors())
        code = "malformed_json" if malformed else "validation_error"
        return JSONResponse(error_body(code, _summary(errors), errors), status_code=400 if malformed else 422)

    @app.exception_handler(ValidationError)
    async def invalid_model(_: Request, exc: ValidationError) -> JSONResponse:
        errors = describe(exc.errors())
        return JSONResponse(error_body("validation_error", _summary(errors), errors), status_code=422)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        errors = [{"field": exc.field, "problem": exc.problem}] if exc.field else []
        return JSONResponse({**error_body(exc.code, exc.message, errors), **exc.extra}, status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", extra={"path": request.url.path})
        return JSONResponse(error_body("internal_error", "the adapter failed unexpectedly; see its log"),
                            status_code=500)
