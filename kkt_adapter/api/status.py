"""Read-only views for people and monitors: buffer status, health and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from ..components import Components
from ..health import buffer_status, health_report
from . import components
from .access import token_matches

router = APIRouter(tags=["status"])


@router.get("/v1/kkt/buffer/status", summary="Receipts in the buffer by state, and the network status")
async def get_buffer_status(parts: Annotated[Components, Depends(components)]) -> dict[str, Any]:
    return await buffer_status(parts)


@router.get(
    "/v1/health",
    summary="healthy, degraded or unhealthy (503)",
    responses={503: {"description": "Unhealthy: the buffer or the register cannot be used"}},
)
async def get_health(request: Request, parts: Annotated[Components, Depends(components)]) -> JSONResponse:
    """Open to every caller (monitors, container health checks); the details only with KKT_API_TOKEN."""
    body, unhealthy = await health_report(parts)
    if not token_matches(request.headers.get("authorization"), parts.settings.kkt_api_token):
        body = {"status": body["status"]}
    return JSONResponse(body, status_code=503 if unhealthy else 200)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def get_metrics(parts: Annotated[Components, Depends(components)]) -> Response:
    counts = await parts.buffer.counts()
    body = parts.metrics.render(counts, parts.settings.buffer_max_size, parts.breaker.state, parts.breaker.failures,
                                parts.network.status, parts.lock.using_redis)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
