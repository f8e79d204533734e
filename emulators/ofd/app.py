"""The OFD emulator's HTTP API (the seed's `/ofd/v1/...`) over an `OfdState`."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import FastAPI, Path, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel

from emulators._admin import (
    SetDelay,
    SetFailure,
    add_failure_routes,
    document_bodies,
    error_responses,
    install_error_handlers,
    json_body,
)
from emulators._guard import guard_admin
from emulators.ofd.console import add_console
from emulators.ofd.documents import AnyDocument, DocumentRejected, Rejection
from emulators.ofd.rules import parse_document
from emulators.ofd.sequence import FnSequence
from emulators.ofd.state import OfdState, UnknownFn

# Uvicorn's logger: its handler is the one the standalone emulator prints with (`opticserp logs ofd`).
log = logging.getLogger("uvicorn.error")


class OperatorConfirmation(BaseModel):
    """Document 7, the operator's confirmation of one document."""

    ofd_inn: str  # 1017
    fn_serial: str  # 1041
    fiscal_doc_number: int  # 1040
    datetime: str  # 1012
    response_code: int  # 1022
    operator_sign: str  # 1078


class Acknowledgement(BaseModel):
    """What an accepted document gets; a re-send gets the same one with `duplicate: true`."""

    status: str
    response_code: int
    ofd_id: str
    fn_serial: str
    fiscal_doc_number: int
    doc_type: int
    received_at: str
    operator_sign: str
    operator_confirmation: OperatorConfirmation
    duplicate: bool


def _document_named(body: bytes) -> str:
    """"FD 8 of FN 9999…" for the log, from whatever the body holds (it may not be a document at all)."""
    try:
        doc = json.loads(body)
        return f"FD {doc['fiscal_doc_number']} of FN {doc['fn_serial']}"
    except (ValueError, TypeError, KeyError):
        return "a body that names no document"


def create_app(state: OfdState | None = None, *, bind_host: str = "127.0.0.1",
               allowed_hosts: Iterable[str] = ()) -> FastAPI:
    """`bind_host` and `allowed_hosts` are the Host names the admin endpoints answer besides loopback."""
    state = state or OfdState()
    app = FastAPI(title="OFD emulator", docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    guard_admin(app, "/ofd/v1/admin", bind_host, allowed_hosts)
    app.state.ofd = state
    install_error_handlers(app)

    @app.get("/ofd/v1/health")
    async def health() -> dict[str, Any]:
        return {"status": "healthy", **state.stats()}

    @app.post(
        "/ofd/v1/receipts",
        responses={
            200: {"model": Acknowledgement, "description": "Accepted, with the operator's confirmation"},
            **error_responses({400: "Not a JSON object", 409: "The same FN and FD number with different content",
                               422: "An invalid document; response_code says which rule"}, Rejection),
            **error_responses({503: "An injected failure, or the emulator is stopping"}),
        },
        openapi_extra=json_body("FiscalDocument"),
    )
    async def receive_receipt(request: Request) -> JSONResponse:
        """Where every FN document reaches the OFD (the seed named it for receipts; `doc_type` says which
        document, 3 when absent). Each post goes through, in order:

        1. counted as a call, and its body read (as a real server receives the whole request first);
        2. the response delay (awaited, so other requests keep flowing); a client that gives up meanwhile
           does not stop the processing, so a slow OFD still stores what it was sent; stopping the emulator
           ends the delay at once with a 503, so a long delay never holds up its shutdown;
        3. failure injection: a permanent failure, or one of the next-N armed failures, answers 503 and
           uses up that failure; nothing is stored;
        4. validation: an invalid document is rejected (400/422) with a non-zero response code;
        5. storage: a new (fn_serial, fiscal_doc_number) is acknowledged with the operator's confirmation; an
           identical re-send gets the same acknowledgement with `duplicate: true`; different content under a
           known key is a 409 conflict.
        """
        generation = state.note_call()
        body = await request.body()

        def answer(payload: dict[str, Any], status: int, outcome: str) -> JSONResponse:
            if log.isEnabledFor(logging.INFO):  # the body is parsed again only for a log that shows it
                log.info("%s from %s: %s", _document_named(body), request.headers.get("user-agent", "?"), outcome)
            return JSONResponse(payload, status)

        delay = state.faults.delay
        if delay and not await state.faults.hold(delay):
            return answer({"status": "error", "message": "the emulator is stopping"}, 503, "503, stopping")
        # Reset since it arrived (during its delay, or while its body was read: then it saw the reset's delay of
        # 0): it belongs to a finished test and must not take a failure armed for the next one.
        if state.stale(generation):
            return answer({"status": "error", "message": "the emulator was reset during the request"}, 503,
                          "503, reset meanwhile")
        if state.faults.take_failure():
            state.note_injected_failure()
            return answer({"status": "error", "message": "OFD temporarily unavailable (injected failure)"}, 503,
                          f"503, injected failure ({state.faults.snapshot()['failures_remaining']} left)")
        try:
            document, raw = parse_document(body, state.vat_codes)
        except DocumentRejected as rejected:
            state.note_rejected()
            return answer(rejected.payload(), rejected.status_code, f"{rejected.status_code}, rejected")
        try:
            ack, duplicate = state.store(document, raw, generation)
        except DocumentRejected as conflict:
            return answer(conflict.payload(), conflict.status_code, f"{conflict.status_code}, conflict")
        return answer({**ack, "duplicate": duplicate}, 200, "200, duplicate" if duplicate else "200, accepted")

    @app.get(
        "/ofd/v1/fn/{fn}",
        response_model=FnSequence,
        responses=error_responses({404: "The OFD has received no document from this FN",
                                   422: "Not an FN serial (16 digits)"}),
    )
    async def fn_sequence(fn: Annotated[str, Path(pattern=r"^\d{16}$", description="FN serial (tag 1041)")]
                          ) -> FnSequence | JSONResponse:
        """The FN's documents at the OFD: first and last number, the numbers missing between them, per type."""
        try:
            return state.fn_sequence(fn)
        except UnknownFn as unknown:
            return JSONResponse({"status": "error", "field": "fn", "message": str(unknown)}, 404)

    add_failure_routes(app, "/ofd/v1/admin", state.faults)

    @app.get("/ofd/v1/admin/receipts", responses=error_responses({422: "A query parameter is invalid"}))
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

    add_console(app, state)
    document_bodies(app, {"FiscalDocument": AnyDocument, "SetFailure": SetFailure, "SetDelay": SetDelay})
    return app
