"""The receipt body as JSON with exact decimals, read by hand: the hot path skips FastAPI's body machinery.

Read by `fiscal.strict_json`, the reader the emulators use too: numbers are Decimal, so 5000.00 stays exact and
0.10000000000000000001 is refused as over-precise rather than rounded by a float; NaN, Infinity, numbers with
too many digits or too large an exponent, duplicate keys, a BOM and UTF-16/32 are refused. Anything
unreadable or ambiguous is a 400 naming the body and the problem. Numbers sent as strings are bounded where
they are converted: the VAT rate through `fiscal.numbers` (vat.py); amounts by their fields' range and decimal
places, which pydantic checks before anything converts them to kopecks (tests/unit/test_receipt_numbers.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from fiscal.origin import is_json_type
from fiscal.strict_json import JsonRefused, loads

from .errors import NOT_JSON, ApiError


def is_json(content_type: str | None) -> bool:
    """No Content-Type is read as JSON (as FastAPI does); otherwise application/json or any +json type."""
    return not content_type or is_json_type(content_type)


def parse_json_body(raw: bytes, content_type: str | None) -> Any:
    if not is_json(content_type):
        raise ApiError(422, "validation_error", f"body: {NOT_JSON}", field="body", problem=NOT_JSON)
    try:
        return loads(raw)
    except JsonRefused as exc:
        raise ApiError(400, "malformed_json", f"body: {exc.problem}", field="body", problem=exc.problem) from None


def document_bodies(app: FastAPI, models: dict[str, type[BaseModel]]) -> None:
    """Put each body model (and the models it uses) in the OpenAPI components, where the routes' bodies refer to
    `#/components/schemas/NAME`: the routes read their bodies by hand, so FastAPI does not know of them."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, model in models.items():
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(body.pop("$defs", {}))
                schemas[name] = body
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
