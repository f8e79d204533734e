"""The Odoo route and the Odoo API emulator take and refuse the same heartbeats.

The route's rules (`optics_pos_ru54fz.lib.heartbeat`) are plain Python, since Odoo cannot import the
emulator's pydantic model; each body below goes through both, and both must agree on it and on the field.
"""

from __future__ import annotations

import json

import pytest
from optics_pos_ru54fz.lib.heartbeat import HeartbeatRejected, parse_heartbeat

from emulators._admin import BadBody
from emulators.odoo_api.heartbeats import parse_heartbeat as emulator_parse

GOOD = {"adapter_id": "kkt-01", "timestamp": "2026-11-29T12:00:00.123456+00:00", "status": "healthy",
        "circuit_breaker": "CLOSED", "network_status": "ONLINE", "version": "1.0.0",
        "buffer": {"pending_count": 2, "dlq_count": 0, "percent_full": 0.2}}


def body(**changes: object) -> bytes:
    return json.dumps({k: v for k, v in {**GOOD, **changes}.items() if v is not ...}).encode()


BODIES = {
    "as the adapter sends it": body(),
    "only the required fields": json.dumps({"adapter_id": "a", "timestamp": "2026-11-29T12:00:00Z"}).encode(),
    "optional fields null": body(status=None, buffer=None, circuit_breaker=None, network_status=None, version=None),
    "an unknown field": body(extra={"any": 1}),
    "a naive timestamp": body(timestamp="2026-11-29T12:00:00"),
    "a space before the time": body(timestamp="2026-11-29 12:00:00+03:00"),
    "minutes only": body(timestamp="2026-11-29T12:00"),
    "nanoseconds": body(timestamp="2026-11-29T12:00:00.123456789Z"),
    "Unix seconds as text": body(timestamp="1700000000"),
    "a date without a time": body(timestamp="2026-11-29"),
    "Unix seconds as a number": body(timestamp=1700000000),
    "the 30th of February": body(timestamp="2026-02-30T12:00:00Z"),
    "no timestamp": body(timestamp=...),
    "no adapter_id": body(adapter_id=...),
    "an empty adapter_id": body(adapter_id=""),
    "an adapter_id of 64 characters": body(adapter_id="a" * 64),
    "an adapter_id of 65 characters": body(adapter_id="a" * 65),
    "a numeric adapter_id": body(adapter_id=17),
    "an unknown status": body(status="fine"),
    "a lower-case breaker": body(circuit_breaker="closed"),
    "a list as buffer": body(buffer=[1, 2]),
    "a numeric network_status": body(network_status=1),
    "a numeric version": body(version=1),
    "a list, not an object": b"[1, 2]",
    "not JSON": b"{adapter_id: 1}",
    "a key twice": b'{"adapter_id": "a", "adapter_id": "b", "timestamp": "2026-11-29T12:00:00Z"}',
    "NaN": b'{"adapter_id": "a", "timestamp": "2026-11-29T12:00:00Z", "buffer": {"n": NaN}}',
    "a byte order mark": b"\xef\xbb\xbf" + body(),
    "an endless number": b'{"adapter_id": "a", "timestamp": "2026-11-29T12:00:00Z", "n": 1' + b"0" * 60 + b"}",
}


def emulator_verdict(raw: bytes) -> tuple[str, int] | None:
    try:
        emulator_parse(raw)
    except BadBody as exc:
        return exc.field, exc.status_code
    return None


def route_verdict(raw: bytes) -> tuple[str, int] | None:
    try:
        parse_heartbeat(raw)
    except HeartbeatRejected as exc:
        return exc.field, exc.status
    return None


@pytest.mark.parametrize("raw", BODIES.values(), ids=BODIES.keys())
def test_the_route_and_the_emulator_agree_on_each_body_and_on_the_field_at_fault(raw: bytes) -> None:
    assert route_verdict(raw) == emulator_verdict(raw)


def test_both_take_the_adapters_own_heartbeat() -> None:
    assert route_verdict(BODIES["as the adapter sends it"]) is None


def test_both_refuse_a_body_without_a_timestamp_naming_it() -> None:
    assert route_verdict(BODIES["no timestamp"]) == ("timestamp", 422)
