"""The serial register's HTTP admin API (its own port): the faults of the line, the power switch, the paper.

For a developer at a terminal and for tools in other processes (`curl -X POST .../power/off`); a test in
the same process calls the handle's methods instead. Every answer is the device's description.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Annotated, Any, Protocol

from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from emulators._admin import (
    BadBody,
    document_bodies,
    error_responses,
    install_error_handlers,
    json_body,
    read_json_object,
)
from emulators._guard import guard_admin
from emulators.faults import MAX_DELAY, MAX_FAILURE_COUNT


class Controls(Protocol):
    """What the API drives: `ShtrihEmulator` (handle.py), which serves this app; named here to avoid a cycle."""

    @property
    def powered(self) -> bool: ...
    def describe(self) -> dict[str, Any]: ...
    def drop_next(self, count: int = 1, after: int = 0) -> None: ...
    def corrupt_next(self, count: int = 1, after: int = 0) -> None: ...
    def corrupt_rate(self, rate: float, seed: int | None = None) -> None: ...
    def late_ack(self, delay: float, count: int = 1) -> None: ...
    def miss_ack(self, count: int = 1) -> None: ...
    def slow_line(self, baud: int | None) -> None: ...
    def clear_faults(self) -> None: ...
    def power_off(self) -> None: ...
    def power_on(self) -> None: ...
    def paper_out(self) -> None: ...
    def paper_in(self) -> None: ...

Count = Annotated[int, Field(ge=1, le=MAX_FAILURE_COUNT, description="How many (bytes, or ACKs).")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CountBody(_Body):
    """`/faults/missing-ack`: how many request frames get no ACK."""

    count: Count = 1


class BytesBody(_Body):
    """`/faults/drop`, `/faults/corrupt`: `count` bytes the device sends, starting `after` bytes from now."""

    count: Count = 1
    after: Annotated[int, Field(ge=0, le=MAX_FAILURE_COUNT, description="Bytes to let through first.")] = 0


class CorruptRateBody(_Body):
    """`/faults/corrupt-rate`: each byte the device sends is corrupted with probability `rate` (0 = off)."""

    rate: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, description="Probability per byte.")]
    seed: Annotated[int | None, Field(description="Seeds the noise, so a run replays; null = unseeded.")] = None


class LateAckBody(_Body):
    delay: Annotated[float, Field(ge=0, le=MAX_DELAY, allow_inf_nan=False, description="Seconds before each ACK.")]
    count: Count = 1


class SlowLineBody(_Body):
    baud: Annotated[int | None, Field(ge=0, le=10_000_000, description="Line speed; null = the configured one.")]


async def _read(request: Request, model: type[_Body]) -> Any:
    body = await read_json_object(request, required=False)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise BadBody(".".join(str(p) for p in error["loc"]) or "body", error["msg"]) from None


def create_admin_app(emulator: Controls, *, bind_host: str = "127.0.0.1",
                     allowed_hosts: Iterable[str] = ()) -> FastAPI:
    """Handlers hand over to the device's loop in a worker thread, so this server's loop never waits on it."""
    app = FastAPI(title="Shtrih-M register emulator admin", docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json")
    guard_admin(app, "/", bind_host, allowed_hosts)
    install_error_handlers(app)
    bad_body = error_responses({400: "The body is not a JSON object", 422: "A field is unknown or out of range"})

    async def act(action: Any, *args: Any) -> dict[str, Any]:
        await asyncio.to_thread(action, *args)
        return await asyncio.to_thread(emulator.describe)

    async def paper(action: Any) -> dict[str, Any]:
        try:
            return await act(action)
        except TypeError as exc:
            raise BadBody("paper_present", str(exc), 409) from None

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "healthy", "powered": await asyncio.to_thread(lambda: emulator.powered)}

    @app.get("/device")
    async def describe() -> dict[str, Any]:
        return await asyncio.to_thread(emulator.describe)

    @app.post("/faults/drop", responses=bad_body, openapi_extra=json_body("BytesBody"))
    async def drop(request: Request) -> dict[str, Any]:
        body = await _read(request, BytesBody)
        return await act(emulator.drop_next, body.count, body.after)

    @app.post("/faults/corrupt", responses=bad_body, openapi_extra=json_body("BytesBody"))
    async def corrupt(request: Request) -> dict[str, Any]:
        body = await _read(request, BytesBody)
        return await act(emulator.corrupt_next, body.count, body.after)

    @app.post("/faults/corrupt-rate", responses=bad_body, openapi_extra=json_body("CorruptRateBody"))
    async def corrupt_rate(request: Request) -> dict[str, Any]:
        body = await _read(request, CorruptRateBody)
        return await act(emulator.corrupt_rate, body.rate, body.seed)

    @app.post("/faults/late-ack", responses=bad_body, openapi_extra=json_body("LateAckBody"))
    async def late_ack(request: Request) -> dict[str, Any]:
        body = await _read(request, LateAckBody)
        return await act(emulator.late_ack, body.delay, body.count)

    @app.post("/faults/missing-ack", responses=bad_body, openapi_extra=json_body("CountBody"))
    async def missing_ack(request: Request) -> dict[str, Any]:
        return await act(emulator.miss_ack, (await _read(request, CountBody)).count)

    @app.post("/faults/slow-line", responses=bad_body, openapi_extra=json_body("SlowLineBody"))
    async def slow_line(request: Request) -> dict[str, Any]:
        return await act(emulator.slow_line, (await _read(request, SlowLineBody)).baud)

    @app.post("/faults/clear")
    async def clear() -> dict[str, Any]:
        return await act(emulator.clear_faults)

    @app.post("/power/off")
    async def power_off() -> dict[str, Any]:
        return await act(emulator.power_off)

    @app.post("/power/on")
    async def power_on() -> dict[str, Any]:
        return await act(emulator.power_on)

    @app.post("/paper/out", responses=error_responses({409: "The register has no paper to run out of"}))
    async def paper_out() -> dict[str, Any]:
        return await paper(emulator.paper_out)

    @app.post("/paper/in", responses=error_responses({409: "The register has no paper to run out of"}))
    async def paper_in() -> dict[str, Any]:
        return await paper(emulator.paper_in)

    document_bodies(app, {"BytesBody": BytesBody, "CountBody": CountBody, "CorruptRateBody": CorruptRateBody,
                          "LateAckBody": LateAckBody, "SlowLineBody": SlowLineBody})
    return app
