"""Read-only views for people and monitors: buffer status and health, with the seed guide's fields."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from .. import __version__
from ..breaker import BreakerState
from ..components import Components
from . import components

router = APIRouter(tags=["status"])

DEGRADED_FILL_PERCENT = 80.0


async def buffer_status(parts: Components) -> dict[str, Any]:
    counts = await parts.buffer.counts()
    capacity = parts.settings.buffer_max_size
    return {
        "pending_count": counts.pending,
        "synced_count": counts.synced,
        "failed_count": counts.failed,
        "dlq_count": counts.dlq,
        "fiscalizing_count": counts.fiscalizing,
        "capacity": capacity,
        "percent_full": round(100 * counts.undelivered / capacity, 1),
        "network_status": parts.network.status.value,
    }


@router.get("/v1/kkt/buffer/status", summary="Receipts in the buffer by state, and the network status")
async def get_buffer_status(parts: Annotated[Components, Depends(components)]) -> dict[str, Any]:
    return await buffer_status(parts)


@router.get(
    "/v1/health",
    summary="healthy, degraded or unhealthy (503)",
    responses={503: {"description": "Unhealthy: the buffer or the register cannot be used"}},
)
async def get_health(parts: Annotated[Components, Depends(components)]) -> JSONResponse:
    problems: list[str] = []
    unhealthy = False
    buffer: dict[str, Any] | None = None
    kkt: dict[str, Any] | None = None
    try:
        buffer = await buffer_status(parts)
    except Exception as exc:
        unhealthy = True
        problems.append(f"buffer unavailable: {exc}")
    try:
        kkt = await parts.driver.status()
    except Exception as exc:
        unhealthy = True
        problems.append(f"register unavailable: {exc}")
    breaker = parts.breaker.state
    if buffer is not None and buffer["percent_full"] >= DEGRADED_FILL_PERCENT:
        problems.append(f"buffer {buffer['percent_full']}% full")
    if breaker is not BreakerState.CLOSED:
        problems.append(f"circuit breaker {breaker.value}: OFD deliveries paused")
    status = "unhealthy" if unhealthy else ("degraded" if problems else "healthy")
    body = {
        "status": status,
        "circuit_breaker": breaker.value,
        "failures": parts.breaker.failures,
        "network_status": parts.network.status.value,
        "problems": problems,
        "buffer": buffer,
        "kkt": kkt,
        "kkt_mode": parts.settings.kkt_mode,
        "ofd_mode": parts.settings.ofd_mode,
        "version": __version__,
    }
    return JSONResponse(body, status_code=503 if unhealthy else 200)
