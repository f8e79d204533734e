"""The OFD emulator's HTTP API (the seed's `/ofd/v1/...`) over an `OfdState`."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from emulators._admin import add_failure_routes, install_error_handlers
from emulators.ofd.documents import DocumentRejected, parse_document
from emulators.ofd.state import OfdState


def create_app(state: OfdState | None = None) -> FastAPI:
    state = state or OfdState()
    app = FastAPI(title="OFD emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ofd = state
    install_error_handlers(app)

    @app.get("/ofd/v1/health")
    async def health() -> dict[str, Any]:
        return {"status": "healthy", **state.stats()}

    @app.post("/ofd/v1/receipts")
    async def receive_receipt(request: Request) -> JSONResponse:
        """Where a receipt reaches the OFD. Each post goes through, in order:

        1. counted as a call, and its body read (as a real server receives the whole request first);
        2. the response delay (`asyncio.sleep`, so other requests keep flowing); a client that gives up
           meanwhile does not stop the processing, so a slow OFD still stores what it was sent;
        3. failure injection: a permanent failure, or one of the next-N armed failures, answers 503 and
           uses up that failure; nothing is stored;
        4. validation: an invalid document is rejected (400/422) with a non-zero response code;
        5. storage: a new (fn_serial, fiscal_doc_number) is acknowledged; an identical re-send gets the same
           acknowledgement with `duplicate: true`; different content under a known key is a 409 conflict.
        """
        generation = state.note_call()
        body = await request.body()
        delay = state.faults.delay
        if delay:
            await asyncio.sleep(delay)
            if state.stale(generation):  # reset while it waited: it belongs to a finished test
                return JSONResponse({"status": "error", "message": "the emulator was reset during the delay"}, 503)
        if state.faults.take_failure():
            state.note_injected_failure()
            return JSONResponse({"status": "error", "message": "OFD temporarily unavailable (injected failure)"}, 503)
        try:
            document, raw = parse_document(body, state.vat_codes)
        except DocumentRejected as rejected:
            state.note_rejected()
            return JSONResponse(rejected.payload(), rejected.status_code)
        try:
            ack, duplicate = state.store(document, raw, generation)
        except DocumentRejected as conflict:
            return JSONResponse(conflict.payload(), conflict.status_code)
        return JSONResponse({**ack, "duplicate": duplicate})

    add_failure_routes(app, "/ofd/v1/admin", state.faults)

    @app.get("/ofd/v1/admin/receipts")
    async def list_receipts(
        fn_serial: str | None = None, fiscal_doc_number: int | None = None, since: AwareDatetime | None = None
    ) -> dict[str, Any]:
        found = state.received(fn_serial=fn_serial, fiscal_doc_number=fiscal_doc_number, since=since)
        return {"count": len(found), "receipts": [r.to_json() for r in found]}

    @app.get("/ofd/v1/admin/stats")
    async def stats() -> dict[str, Any]:
        return state.stats()

    @app.post("/ofd/v1/admin/reset")
    async def reset() -> dict[str, Any]:
        state.reset()
        return {"status": "ok", **state.stats()}

    return app
