"""GET /v1/kkt/receipts: the newest receipts and where each stands with the OFD, for people watching the adapter.

Read-only and bounded (at most 200 rows): the POS has no use for it, and it cannot be made to read the whole buffer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from ..components import Components
from ..money import format_rubles
from . import components
from .errors import error_responses

router = APIRouter(tags=["status"])
Parts = Annotated[Components, Depends(components)]
MAX_LIMIT = 200


class ReceiptRow(BaseModel):
    model_config = ConfigDict(title="ReceiptRow")

    id: str
    pos_id: str
    operation: str
    total: str = Field(description="Rubles, as the receipt's answer gives it ('5000.00')")
    fiscal_doc_number: int | None = Field(description="FD (1040); null while the register is signing it")
    fn_serial: str | None
    status: Literal["fiscalizing", "pending", "synced", "dlq"] = Field(
        description="fiscalizing: the register is signing it; pending: not yet at the OFD; synced: the OFD has it; "
        "dlq: given up on (see /v1/kkt/dlq)")
    attempts: int = Field(description="Delivery attempts since it was signed (or last re-driven)")
    last_error: str | None
    created_at: str
    synced_at: str | None


class RecentReceipts(BaseModel):
    model_config = ConfigDict(title="RecentReceipts")

    count: int
    receipts: list[ReceiptRow] = Field(description="Newest first")


@router.get("/v1/kkt/receipts", summary="The newest receipts with their OFD delivery status (read-only)",
            response_model=RecentReceipts,
            responses=error_responses({422: "limit is not an integer from 1 to 200"}))
async def recent_receipts(parts: Parts,
                          limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many, newest first")] = 20,
                          ) -> RecentReceipts:
    rows = await parts.buffer.recent(limit)
    receipts = [ReceiptRow.model_validate({**row, "total": format_rubles(row["total"])}) for row in rows]
    return RecentReceipts(count=len(receipts), receipts=receipts)
