"""Admin endpoints shared by the HTTP emulators: failure injection and uniform 4xx bodies.

The seed's own commands post JSON with no Content-Type or with curl's default form type
(`curl -X POST ... -d '{"failure_count": 5}'`), so admin bodies are read raw and parsed as JSON whatever
the header says.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from emulators.faults import FailurePlan


class BadBody(Exception):
    """A request body the emulator refuses; answered as `{"status": "error", "field", "message"}`."""

    def __init__(self, field: str, message: str, status_code: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status_code = status_code


async def read_json_object(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object, whatever the Content-Type; an empty body is `{}` unless required."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise BadBody("body", "expected a JSON object, got an empty body", 400)
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadBody("body", f"not valid JSON: {exc}", 400) from None
    if not isinstance(body, dict):
        raise BadBody("body", f"expected a JSON object, got {type(body).__name__}", 400)
    return body


def _reject_unknown(body: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(body) - known)
    if unknown:
        raise BadBody(unknown[0], f"unknown field; expected one of {', '.join(sorted(known))}")


def parse_set_failure(body: dict[str, Any]) -> tuple[str, int]:
    """`{"failure_count": N}` → ("count", N); `{"permanent_failure": true}` → ("permanent", 0).

    `{"permanent_failure": false}` alone → ("none", 0), i.e. no failures.
    """
    _reject_unknown(body, {"failure_count", "permanent_failure"})
    if "failure_count" not in body and "permanent_failure" not in body:
        raise BadBody("failure_count", "give failure_count (integer >= 0) or permanent_failure (true)")
    permanent = body.get("permanent_failure", False)
    if not isinstance(permanent, bool):
        raise BadBody("permanent_failure", f"must be true or false, got {permanent!r}")
    if "failure_count" in body:
        count = body["failure_count"]
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise BadBody("failure_count", f"must be an integer >= 0, got {count!r}")
        if permanent:
            raise BadBody("permanent_failure", "give either failure_count or permanent_failure, not both")
        return "count", count
    return ("permanent", 0) if permanent else ("none", 0)


def parse_set_delay(body: dict[str, Any]) -> float:
    _reject_unknown(body, {"delay"})
    if "delay" not in body:
        raise BadBody("delay", "required: seconds to wait before answering (number >= 0)")
    delay = body["delay"]
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not math.isfinite(delay) or delay < 0:
        raise BadBody("delay", f"must be a number of seconds >= 0, got {delay!r}")
    return float(delay)


def install_error_handlers(app: FastAPI) -> None:
    """Every 4xx the emulator produces names the field and the problem, as the design asks."""

    @app.exception_handler(BadBody)
    async def bad_body(_: Request, exc: BadBody) -> JSONResponse:
        return JSONResponse({"status": "error", "field": exc.field, "message": exc.message}, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_params(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if p not in ("query", "path", "body"))
        return JSONResponse({"status": "error", "field": field, "message": first["msg"]}, 422)


def add_failure_routes(app: FastAPI, prefix: str, plan: FailurePlan) -> None:
    """`{prefix}/set-failure`, `{prefix}/set-success` and `{prefix}/set-delay` acting on `plan`."""

    @app.post(f"{prefix}/set-failure")
    async def set_failure(request: Request) -> dict[str, object]:
        mode, count = parse_set_failure(await read_json_object(request))
        if mode == "count":
            plan.fail_next(count)
        elif mode == "permanent":
            plan.fail_permanently()
        else:
            plan.recover()
        return {"status": "ok", **plan.snapshot()}

    @app.post(f"{prefix}/set-success")
    async def set_success() -> dict[str, object]:
        plan.recover()
        return {"status": "ok", **plan.snapshot()}

    @app.post(f"{prefix}/set-delay")
    async def set_delay(request: Request) -> dict[str, object]:
        plan.set_delay(parse_set_delay(await read_json_object(request)))
        return {"status": "ok", **plan.snapshot()}
