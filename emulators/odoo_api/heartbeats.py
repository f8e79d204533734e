"""The heartbeat the adapter reports to Odoo every 30 s, and how the emulator checks it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from emulators.bad_body import BadBody
from fiscal import strict_json


class Heartbeat(BaseModel):
    """Required: adapter_id and timestamp; the rest optional; unknown fields are kept."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)

    adapter_id: str = Field(min_length=1, max_length=64)
    timestamp: datetime
    status: Literal["healthy", "degraded", "unhealthy"] | None = None
    buffer: dict[str, Any] | None = None
    circuit_breaker: Literal["CLOSED", "OPEN", "HALF_OPEN"] | None = None
    network_status: str | None = None
    version: str | None = None


def parse_heartbeat(raw: bytes) -> tuple[Heartbeat, dict[str, Any]]:
    """The validated heartbeat and the JSON object as sent; raises `BadBody` naming the first bad field."""
    try:
        body = strict_json.loads(raw, parse_float=float)  # no BOM, no duplicate keys, bounded numbers
    except strict_json.JsonRefused as exc:
        raise BadBody("body", f"not valid JSON: {exc.problem}", 400) from None
    if not isinstance(body, dict):
        raise BadBody("body", f"expected a JSON object, got {type(body).__name__}", 400)
    try:
        return Heartbeat.model_validate_json(raw), body
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise BadBody(field, first["msg"]) from None
