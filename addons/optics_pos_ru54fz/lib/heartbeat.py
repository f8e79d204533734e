"""The heartbeat the adapter posts to Odoo (`POST /api/v1/kkt/heartbeat`), checked as the Odoo API emulator checks it.

The emulator's rules live in the project (pydantic, `fiscal.strict_json`), which Odoo cannot import; these are
the same rules in plain Python, and `tests/addons/test_heartbeat_rules.py` proves both take and refuse the same
bodies. Required: `adapter_id` (1-64 characters) and `timestamp` (a date-time); `status`, `circuit_breaker`,
`buffer`, `network_status`, `version` are optional and typed; unknown fields are kept.
"""

from __future__ import annotations

import codecs
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

STATUSES = ("healthy", "degraded", "unhealthy")
BREAKER_STATES = ("CLOSED", "OPEN", "HALF_OPEN")
MAX_NUMBER_CHARS = 40
_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt_ ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?")
_EPOCH = re.compile(r"-?\d+(?:\.\d+)?")


class HeartbeatRejected(ValueError):
    """A body the route refuses: `field` names where, `status` is 400 (not a JSON object) or 422 (a field)."""

    def __init__(self, field: str, problem: str, status: int = 422) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        self.status = status


def parse_heartbeat(raw: bytes) -> dict[str, Any]:
    """The heartbeat's JSON object as sent, once it passes the emulator's rules; else `HeartbeatRejected`."""
    body = _strict_json(raw)
    if not isinstance(body, dict):
        raise HeartbeatRejected("body", f"expected a JSON object, got {type(body).__name__}", 400)
    adapter_id = body.get("adapter_id")
    if "adapter_id" not in body:
        raise HeartbeatRejected("adapter_id", "Field required")
    if not isinstance(adapter_id, str) or not 1 <= len(adapter_id) <= 64:
        raise HeartbeatRejected("adapter_id", "a string of 1 to 64 characters is required")
    if "timestamp" not in body:
        raise HeartbeatRejected("timestamp", "Field required")
    parse_timestamp(body["timestamp"])
    _optional(body, "status", lambda v: v in STATUSES, f"one of {', '.join(STATUSES)}")
    _optional(body, "circuit_breaker", lambda v: v in BREAKER_STATES, f"one of {', '.join(BREAKER_STATES)}")
    _optional(body, "buffer", lambda v: isinstance(v, dict), "an object")
    _optional(body, "network_status", lambda v: isinstance(v, str), "a string")
    _optional(body, "version", lambda v: isinstance(v, str), "a string")
    return body


def parse_timestamp(value: Any) -> datetime:
    """An ISO 8601 date-time string (offset optional), or a string of Unix seconds, as pydantic reads them."""
    if not isinstance(value, str):
        raise HeartbeatRejected("timestamp", "Input should be a valid datetime")
    if _EPOCH.fullmatch(value):
        seconds = float(value)
        if abs(seconds) > 2e10:  # pydantic reads larger numbers as milliseconds
            seconds /= 1000
        return datetime.fromtimestamp(seconds, timezone.utc)  # noqa: UP017  (Odoo 17 runs on 3.10 too)
    match = _DATETIME.fullmatch(value)
    if match is None:
        raise HeartbeatRejected("timestamp", "Input should be a valid datetime")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    tz = None
    if zulu:
        tz = timezone.utc  # noqa: UP017
    elif sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                        int((fraction or "0")[:6].ljust(6, "0")), tz)
    except ValueError as exc:
        raise HeartbeatRejected("timestamp", f"Input should be a valid datetime ({exc})") from None


def _optional(body: dict[str, Any], name: str, valid: Any, expected: str) -> None:
    value = body.get(name)
    if value is not None and not valid(value):
        raise HeartbeatRejected(name, f"{expected} or null is required, not {value!r}")


def _strict_json(raw: bytes) -> Any:
    """UTF-8 without a BOM, no key twice in an object, no NaN or Infinity, no number of over 40 characters."""
    if raw.startswith(_BOMS) or b"\x00" in raw:
        raise HeartbeatRejected("body", "not valid JSON: send UTF-8 without a byte order mark", 400)
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_object, parse_constant=_constant,
                          parse_int=_number(int), parse_float=_number(float))
    except UnicodeDecodeError:
        raise HeartbeatRejected("body", "not valid JSON: not UTF-8", 400) from None
    except ValueError as exc:
        raise HeartbeatRejected("body", f"not valid JSON: {exc}", 400) from None


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("a key appears twice in one object")
    return found


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _number(kind: type) -> Any:
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            raise ValueError(f"a number of {len(text)} characters is over the bound")
        return kind(text)
    return parse
