"""Admin endpoints shared by the HTTP emulators: failure injection and uniform 4xx bodies.

The seed's own commands post JSON with no Content-Type or with curl's default form type
(`curl -X POST ... -d '{"failure_count": 5}'`), so admin bodies are read raw and parsed as JSON whatever
the header says.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, TypeAdapter
from starlette.exceptions import HTTPException as StarletteHTTPException

from emulators.bad_body import BadBody
from emulators.faults import COUNT_RANGE, DELAY_RANGE, Delay, FailureCount, FailurePlan, SettingsError, check
from fiscal import strict_json


class EmulatorError(BaseModel):
    """The body of every error an emulator answers (`field` is absent for injected failures)."""

    status: Literal["error"]
    field: str | None = None
    message: str


def error_responses(descriptions: dict[int, str], model: type[BaseModel] = EmulatorError) -> dict[int | str, Any]:
    """`responses=` for a route: what each listed status answers, for the OpenAPI document."""
    return {status: {"model": model, "description": text} for status, text in descriptions.items()}


def json_body(name: str) -> dict[str, Any]:
    """`openapi_extra=` for a route that reads its body raw: the body is the component schema `name`."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{name}"}}}}}


def document_bodies(app: FastAPI, bodies: dict[str, Any]) -> None:
    """Put the body schemas `json_body` refers to (a name → a model or type) in the app's OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, shape in bodies.items():
                body = TypeAdapter(shape).json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(body.pop("$defs", {}))
                schemas[name] = body
            _own_validation_errors(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _own_validation_errors(schema: dict[str, Any]) -> None:
    """FastAPI documents its own 422 body (`{"detail": ...}`); the emulators answer `EmulatorError`."""
    own = {"$ref": "#/components/schemas/EmulatorError"}
    schema["components"]["schemas"].setdefault("EmulatorError", EmulatorError.model_json_schema())
    for operation in (op for path in schema.get("paths", {}).values() for op in path.values()):
        for answer in operation.get("responses", {}).values():
            media = answer.get("content", {}).get("application/json", {})
            if media.get("schema", {}).get("$ref") == "#/components/schemas/HTTPValidationError":
                media["schema"] = own
    for fastapi_own in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(fastapi_own, None)


class SetFailure(BaseModel):
    """Documents `set-failure` (read by `parse_set_failure`): give one of the two."""

    model_config = ConfigDict(extra="forbid")

    failure_count: FailureCount | None = None
    permanent_failure: bool | None = None


class SetDelay(BaseModel):
    """Documents `set-delay` (read by `parse_set_delay`)."""

    model_config = ConfigDict(extra="forbid")

    delay: Delay


async def read_json_object(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object, whatever the Content-Type; an empty body is `{}` unless required."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise BadBody("body", "expected a JSON object, got an empty body", 400)
        return {}
    try:
        body = strict_json.loads(raw, parse_float=float)  # what the adapter refuses, refused here too
    except strict_json.JsonRefused as exc:
        raise BadBody("body", f"not valid JSON: {exc.problem}", 400) from None
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
        raise BadBody("failure_count", f"give failure_count ({COUNT_RANGE}) or permanent_failure (true)")
    permanent = body.get("permanent_failure", False)
    if not isinstance(permanent, bool):
        raise BadBody("permanent_failure", f"must be true or false, got {permanent!r}")
    if "failure_count" in body:
        count = _checked("failure_count", body["failure_count"])
        if permanent:
            raise BadBody("permanent_failure", "give either failure_count or permanent_failure, not both")
        return "count", count
    return ("permanent", 0) if permanent else ("none", 0)


def parse_set_delay(body: dict[str, Any]) -> float:
    _reject_unknown(body, {"delay"})
    if "delay" not in body:
        raise BadBody("delay", f"required: seconds to wait before answering, {DELAY_RANGE}")
    return float(_checked("response_delay", body["delay"], "delay"))


def _checked(setting: str, value: object, field: str | None = None) -> object:
    """The emulators' own check of a failure count or a delay (`faults.check`), as a 422 naming the field."""
    try:
        return check(setting, value, field)
    except SettingsError as exc:
        raise BadBody(exc.name, exc.problem) from None


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

    @app.exception_handler(StarletteHTTPException)
    async def no_route(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Unknown paths and methods too, instead of FastAPI's `{"detail": ...}`."""
        field = "method" if exc.status_code == 405 else "path"
        message = f"{request.method} {request.url.path}: {exc.detail}"
        return JSONResponse({"status": "error", "field": field, "message": message}, exc.status_code,
                            headers=getattr(exc, "headers", None))


def add_failure_routes(app: FastAPI, prefix: str, plan: FailurePlan) -> None:
    """`{prefix}/set-failure`, `{prefix}/set-success` and `{prefix}/set-delay` acting on `plan`."""

    bad_body = error_responses({400: "The body is not a JSON object", 422: "A field is unknown or out of range"})

    @app.post(f"{prefix}/set-failure", responses=bad_body, openapi_extra=json_body("SetFailure"))
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

    @app.post(f"{prefix}/set-delay", responses=bad_body, openapi_extra=json_body("SetDelay"))
    async def set_delay(request: Request) -> dict[str, object]:
        plan.set_delay(parse_set_delay(await read_json_object(request)))
        return {"status": "ok", **plan.snapshot()}
