"""The receipt body as JSON with exact decimals, read by hand: the hot path skips FastAPI's body machinery.

Numbers are read as Decimal, so 5000.00 stays exact and 0.10000000000000000001 is refused as over-precise
rather than rounded by a float; NaN and Infinity are refused. Anything unreadable is a 400 naming the body.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from .errors import NOT_JSON, ApiError


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


def is_json(content_type: str | None) -> bool:
    """No Content-Type is read as JSON (as FastAPI does); otherwise application/json or any +json type."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def parse_json_body(raw: bytes, content_type: str | None) -> Any:
    if not is_json(content_type):
        raise ApiError(422, "validation_error", f"body: {NOT_JSON}", field="body", problem=NOT_JSON)
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8 and too many digits are ValueErrors
        problem = f"malformed JSON: {str(exc) or type(exc).__name__}"
        raise ApiError(400, "malformed_json", f"body: {problem}", field="body", problem=problem) from None
