"""The idempotency key header every call that signs something takes: read, checked and documented once."""

from __future__ import annotations

import re
from typing import Any

from ..idempotency import IdempotencyConflict, StillFiscalizing
from .errors import ApiError

KEY_HEADER = "X-Idempotency-Key"
PLAIN_KEY_HEADER = "Idempotency-Key"
REPLAYED = {"Idempotent-Replayed": "true"}
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,128}$")


def idempotency_key(x_key: str | None, plain_key: str | None) -> str:
    if x_key is not None and plain_key is not None and x_key != plain_key:
        raise ApiError(400, "idempotency_key_mismatch",
                       "X-Idempotency-Key and Idempotency-Key differ; send one", field=KEY_HEADER)
    key = x_key if x_key is not None else plain_key
    if key is None:
        raise ApiError(400, "missing_idempotency_key",
                       "header required: a unique key per request, reused only to retry that request",
                       field=KEY_HEADER)
    if not _KEY_PATTERN.match(key):
        raise ApiError(400, "invalid_idempotency_key",
                       "must be 1 to 128 visible ASCII characters without spaces", field=KEY_HEADER)
    return key


def key_parameters(what: str) -> list[dict[str, Any]]:
    """The two headers as OpenAPI parameters (either one is accepted, so neither is `required`)."""

    def header(name: str, description: str) -> dict[str, Any]:
        return {"name": name, "in": "header", "required": False, "description": description,
                "schema": {"type": "string", "pattern": _KEY_PATTERN.pattern}}

    return [
        header(KEY_HEADER, f"Unique per {what}; resend it (with the same body) only to retry"),
        header(PLAIN_KEY_HEADER, "The same, under its IETF draft name; send one of the two"),
    ]


def duplicate_refusal(exc: IdempotencyConflict | StillFiscalizing) -> ApiError:
    if isinstance(exc, IdempotencyConflict):
        return ApiError(409, "idempotency_conflict", str(exc), field=KEY_HEADER)
    return ApiError(409, "still_fiscalizing", str(exc), field=KEY_HEADER, headers={"Retry-After": "1"})
