"""Operator controls for delivery: sync now, and the dead-letter queue (list, re-drive, resolve)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from ..components import Components
from ..health import buffer_status
from . import components
from .errors import ApiError, error_responses
from .json_body import parse_json_body

router = APIRouter(tags=["delivery"])
Parts = Annotated[Components, Depends(components)]
# DLQ ids are SQLite rowids; a larger id cannot exist and would overflow the query.
EntryId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The DLQ entry's id, as `GET /v1/kkt/dlq` lists it.")]
ENTRY_ERRORS = error_responses({
    400: "The body is not JSON",
    404: "No unresolved DLQ entry with this id",
    413: "Body too large",
    422: "The id is not an integer from 1 to 2^63-1, or the body is invalid",
})


@router.post("/v1/kkt/buffer/sync", summary="Deliver due receipts to the OFD now and report what happened")
async def sync_now(parts: Parts) -> dict[str, Any]:
    report = await parts.worker.sync_now(forced=True)
    return {"report": report.to_dict(), "circuit_breaker": parts.breaker.state.value,
            "buffer": await buffer_status(parts)}


@router.get("/v1/kkt/dlq", summary="Receipts the adapter gave up delivering, with the reason",
            responses=error_responses({422: "include_resolved is not a boolean"}))
async def list_dlq(parts: Parts, include_resolved: bool = False) -> dict[str, Any]:
    entries = await parts.buffer.dlq.entries(include_resolved)
    return {"count": len(entries), "entries": entries}


@router.post("/v1/kkt/dlq/redrive", summary="Queue every unresolved DLQ receipt for delivery again")
async def redrive_all(parts: Parts) -> dict[str, Any]:
    moved = await parts.buffer.dlq.redrive()
    parts.worker.wake()
    return {"redriven": moved}


@router.post("/v1/kkt/dlq/{entry_id}/redrive", summary="Queue one DLQ receipt for delivery again",
             responses=ENTRY_ERRORS)
async def redrive_one(entry_id: EntryId, parts: Parts) -> dict[str, Any]:
    if not await parts.buffer.dlq.redrive(entry_id):
        raise ApiError(404, "dlq_entry_not_found", f"no unresolved DLQ entry {entry_id}", field="entry_id")
    parts.worker.wake()
    return {"redriven": 1}


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra="forbid", title="ResolveBody")

    note: str = Field("", max_length=500, description="Why it was handled by hand; kept with the entry.")


@router.post(
    "/v1/kkt/dlq/{entry_id}/resolve", summary="Mark a DLQ entry handled by hand; it is not sent again",
    responses=ENTRY_ERRORS,
    openapi_extra={"requestBody": {"required": False, "content": {"application/json": {
        "schema": ResolveBody.model_json_schema()}}}},
)
async def resolve(entry_id: EntryId, request: Request, parts: Parts) -> dict[str, Any]:
    raw = await request.body()  # read by the adapter's strict JSON reader, as the receipt body is
    body = ResolveBody.model_validate(parse_json_body(raw, request.headers.get("content-type"))) if raw.strip() \
        else ResolveBody()
    if not await parts.buffer.dlq.resolve(entry_id, body.note):
        raise ApiError(404, "dlq_entry_not_found", f"no unresolved DLQ entry {entry_id}", field="entry_id")
    return {"resolved": entry_id}
