"""Operator controls for delivery: sync now, and the dead-letter queue (list, re-drive, resolve)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from ..components import Components
from ..health import buffer_status
from . import components
from .errors import ApiError

router = APIRouter(tags=["delivery"])
Parts = Annotated[Components, Depends(components)]


@router.post("/v1/kkt/buffer/sync", summary="Deliver due receipts to the OFD now and report what happened")
async def sync_now(parts: Parts) -> dict[str, Any]:
    report = await parts.worker.sync_now(forced=True)
    return {"report": report.to_dict(), "circuit_breaker": parts.breaker.state.value,
            "buffer": await buffer_status(parts)}


@router.get("/v1/kkt/dlq", summary="Receipts the adapter gave up delivering, with the reason")
async def list_dlq(parts: Parts, include_resolved: bool = False) -> dict[str, Any]:
    entries = await parts.buffer.dlq_entries(include_resolved)
    return {"count": len(entries), "entries": entries}


@router.post("/v1/kkt/dlq/redrive", summary="Queue every unresolved DLQ receipt for delivery again")
async def redrive_all(parts: Parts) -> dict[str, Any]:
    moved = await parts.buffer.redrive()
    parts.worker.wake()
    return {"redriven": moved}


@router.post("/v1/kkt/dlq/{entry_id}/redrive", summary="Queue one DLQ receipt for delivery again")
async def redrive_one(entry_id: int, parts: Parts) -> dict[str, Any]:
    if not await parts.buffer.redrive(entry_id):
        raise ApiError(404, "dlq_entry_not_found", f"no unresolved DLQ entry {entry_id}", field="entry_id")
    parts.worker.wake()
    return {"redriven": 1}


@router.post("/v1/kkt/dlq/{entry_id}/resolve", summary="Mark a DLQ entry handled by hand; it is not sent again")
async def resolve(entry_id: int, parts: Parts,
                  note: Annotated[str, Body(embed=True, max_length=500)] = "") -> dict[str, Any]:
    if not await parts.buffer.resolve(entry_id, note):
        raise ApiError(404, "dlq_entry_not_found", f"no unresolved DLQ entry {entry_id}", field="entry_id")
    return {"resolved": entry_id}
